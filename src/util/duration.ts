/**
 * Durations as written in config and on the command line: `500ms`, `90s`, `5m`,
 * `24h`, `30d`. Deliberately strict: a typo must fail loudly rather than turn
 * into a certificate that lives for years.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;

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

export const DURATION_HINT = 'write a number followed by ms, s, m, h or d, e.g. 90s, 5m, 24h, 30d';
