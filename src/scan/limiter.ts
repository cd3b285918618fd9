/**
 * Bounded concurrency and the scan deadline. Probes run a few at a time so a
 * scan is quick without flooding the target, and stop starting once the
 * deadline has passed (the report then says it is partial).
 */

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Deadline {
  /** Milliseconds left, never below 0. */
  remaining(): number;
  expired(): boolean;
  /** A probe timeout that does not run past the deadline. */
  budget(probeTimeoutMs: number): number;
}

export function createDeadline(clock: Clock, ms: number): Deadline {
  const end = clock.now() + ms;
  const remaining = () => Math.max(0, end - clock.now());
  return {
    remaining,
    expired: () => remaining() <= 0,
    budget: (probeTimeoutMs) => Math.min(probeTimeoutMs, remaining()),
  };
}

/** A counting semaphore: `run` waits for a slot, so at most `limit` tasks are in flight. */
export interface Limiter {
  run<R>(task: () => Promise<R>): Promise<R>;
}

export function createLimiter(limit: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(task) {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await task();
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
}
