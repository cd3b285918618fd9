/**
 * The Hub's one backoff rule, for webhook retries and sidecar reconnects:
 * exponential from `baseMs`, capped at `maxMs`, with full jitter on the upper
 * half so a fleet that lost the Hub together does not come back together.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1; the share of the delay that is randomized (default 0.5). */
  jitter?: number;
  random?: () => number;
}

/** The delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = options.jitter ?? 0.5;
  const random = options.random ?? Math.random;
  return Math.round(raw * (1 - jitter) + raw * jitter * random());
}
