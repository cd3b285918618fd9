/**
 * Durations as written in config and on the command line: `500ms`, `90s`, `5m`,
 * `24h`, `30d`. Deliberately strict: a typo must fail loudly rather than turn
 * into a certificate that lives for years. Each config key also has a range
 * (`DurationBounds`): zero, and values past what Node's timers can hold, are
 * refused with the key's range rather than breaking at run time.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d{1,16})(ms|s|m|h|d)$/;

/** The longest delay a Node timer holds; past it `setTimeout` fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Inclusive range of a duration key, in milliseconds. */
export interface DurationBounds {
  min: number;
  max: number;
}

/** Parses a duration string to milliseconds, or returns undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  const ms = value * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Formats milliseconds in the largest unit that divides them exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A range for messages: "1ms-10m". The timer ceiling reads as "24d20h31m23s647ms". */
export function formatBounds(bounds: DurationBounds): string {
  return `${formatDurationLong(bounds.min)}-${formatDurationLong(bounds.max)}`;
}

/** Like formatDuration, but splits a value no single unit divides: 90061000 → "1d1h1m1s". */
export function formatDurationLong(ms: number): string {
  if (formatDuration(ms) !== `${ms}ms` || ms < 1000) return formatDuration(ms);
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/**
 * Why a duration is out of its range, or undefined when it is inside. The
 * message is phrased to follow the key name: `dial_timeout: 0ms is ...`.
 */
export function checkDurationBounds(ms: number, bounds: DurationBounds): string | undefined {
  if (ms >= bounds.min && ms <= bounds.max) return undefined;
  const range = `allowed range ${formatBounds(bounds)}`;
  if (ms === 0) return `0 is not allowed (${range})`;
  if (ms > MAX_TIMER_MS && bounds.max <= MAX_TIMER_MS) {
    return `${formatDuration(ms)} is longer than Node's timers can wait (${range})`;
  }
  return `${formatDuration(ms)} is ${ms < bounds.min ? 'below' : 'above'} the ${range}`;
}

export const DURATION_HINT = 'write a number followed by ms, s, m, h or d, e.g. 90s, 5m, 24h, 30d';
