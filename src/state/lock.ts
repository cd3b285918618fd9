/**
 * A cross-process lock on a state dir, so the CLI and a running server never
 * interleave read-modify-write cycles on the inventory. proper-lockfile uses an
 * atomic mkdir and refreshes its mtime, so a crashed holder's lock goes stale.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { TlsmcpError } from '../errors.js';

export interface StateLockOptions {
  /** How many times to retry a held lock (10-200 ms apart) before ERR_STATE_LOCKED. Default 200, about 40 s. */
  retries?: number;
}

/** Runs `fn` holding the state dir's lock; other processes (and calls) wait their turn. */
export async function withStateLock<T>(stateDir: string, fn: () => Promise<T> | T, options: StateLockOptions = {}): Promise<T> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(stateDir, {
      lockfilePath: join(stateDir, '.lock'),
      stale: 10_000,
      retries: { retries: options.retries ?? 200, factor: 1.2, minTimeout: 10, maxTimeout: 200 },
    });
  } catch (err) {
    throw new TlsmcpError('ERR_STATE_LOCKED', `the state dir ${stateDir} is locked by another tlsmcp process`, {
      fix: 'retry in a moment; if no other tlsmcp is running, remove the .lock directory inside the state dir',
      cause: err,
    });
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
