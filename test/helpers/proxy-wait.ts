/** Waiting without sleeps: poll a predicate until a deadline, or race an event against one. */
import { once } from 'node:events';
import type { EventEmitter } from 'node:events';

export async function waitFor<T>(predicate: () => T | undefined | false | Promise<T | undefined | false>, { timeoutMs = 10_000, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves with the event's arguments, or rejects when it has not fired within the deadline. */
export async function eventWithin(emitter: EventEmitter, event: string, timeoutMs: number): Promise<unknown[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await once(emitter, event, { signal: controller.signal });
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`"${event}" did not fire within ${timeoutMs}ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects when `promise` has not settled within the deadline (started now, not when the promise was made). */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs}ms`)), timeoutMs)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
