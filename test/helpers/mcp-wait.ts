/** Polls a predicate until it holds or a deadline passes: tests wait on state, never on fixed sleeps. */
import { setTimeout as tick } from 'node:timers/promises';

export async function waitFor<T>(probe: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await tick(intervalMs);
  }
}
