/**
 * Cross-process locks on a state dir. `withStateLock` keeps the CLI and a
 * running server from interleaving read-modify-write cycles on the inventory;
 * `acquireInstanceLock` lets only one `tlsmcp run` use a state dir at a time.
 * Both are atomic link-based lock files (see pid-lock.ts): a holder killed with
 * -9 leaves a lock that the next taker sees is stale and breaks at once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TlsmcpError } from '../errors.js';
import { tryLock, waitForLock, type HeldLock, type LockOwner } from './pid-lock.js';

export interface StateLockOptions {
  /** How many times to retry a held lock (10-200 ms apart) before ERR_STATE_LOCKED. Default 200, about 35 s. */
  retries?: number;
}

/** The short-lived lock around inventory and revocation updates. */
export const stateLockPath = (stateDir: string) => join(stateDir, '.state.lock');
/** Held for the whole life of a `tlsmcp run`. */
export const instanceLockPath = (stateDir: string) => join(stateDir, 'run', 'instance.lock');

function holderText(holder: LockOwner | undefined): string {
  return holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a process that is still writing the lock';
}

/** Runs `fn` holding the state dir's lock; other processes (and calls) wait their turn. */
export async function withStateLock<T>(stateDir: string, fn: () => Promise<T> | T, options: StateLockOptions = {}): Promise<T> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = stateLockPath(stateDir);
  const result = await waitForLock(path, { retries: options.retries ?? 200 });
  if (!result.acquired) {
    throw new TlsmcpError('ERR_STATE_LOCKED', `the state dir ${stateDir} is locked by another tlsmcp process (${holderText(result.holder)})`, {
      fix: `retry in a moment; if that process is not tlsmcp, remove ${path}`,
      details: { lock: path, ...(result.holder ? { pid: result.holder.pid } : {}) },
    });
  }
  try {
    return await fn();
  } finally {
    result.lock.release();
  }
}

/**
 * Takes the single-instance lock of a state dir, or throws ERR_STATE_LOCKED
 * naming the process that holds it. Release it when the instance has stopped.
 */
export function acquireInstanceLock(stateDir: string): HeldLock {
  const path = instanceLockPath(stateDir);
  const result = tryLock(path);
  if (!result.acquired) {
    const pid = result.holder?.pid;
    throw new TlsmcpError('ERR_STATE_LOCKED', `tlsmcp is already running for state dir ${stateDir} (${holderText(result.holder)})`, {
      fix: `use \`tlsmcp status\` / \`tlsmcp reload\` on it, stop it${pid ? ` (kill -TERM ${pid})` : ''}, or give this one another --state`,
      details: { lock: path, ...(pid ? { pid } : {}) },
    });
  }
  return result.lock;
}
