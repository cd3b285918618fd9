/**
 * An atomic, crash-aware lock file. Taking it is one `link(2)` of a file that
 * already holds the owner (pid, process start time, host, token): link fails
 * with EEXIST if the lock exists, so two takers can never both succeed, and the
 * lock is never seen empty. A lock whose process is gone (or whose pid now
 * belongs to a younger process) is stale and is broken at once, under a second
 * short lock so that two breakers cannot remove each other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';

const ownerSchema = z.object({ pid: z.number().int(), start: z.string().nullable(), host: z.string(), token: z.string(), since: z.string() });
export type LockOwner = z.infer<typeof ownerSchema>;

/** A lock file whose content is unreadable is only trusted this long (a taker may have died between write and rename). */
const UNREADABLE_GRACE_MS = 5_000;

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

/** The start time of a process in clock ticks since boot (Linux /proc), or null where that cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which sits in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function currentOwner(): LockOwner {
  return { pid: process.pid, start: processStartTime(process.pid), host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
}

/** Whether the process that wrote `owner` still runs. Unknown (another host) counts as alive. */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Same pid, different start time: the pid was reused (e.g. pid 1 in a restarted container).
  const start = processStartTime(owner.pid);
  return !(owner.start !== null && start !== null && start !== owner.start);
}

type Reading = { kind: 'absent' } | { kind: 'owner'; owner: LockOwner; raw: string } | { kind: 'unreadable'; raw: string; ageMs: number };

function readLock(path: string): Reading {
  let raw: string;
  let ageMs = 0;
  try {
    raw = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw err;
  }
  try {
    const owner = ownerSchema.parse(JSON.parse(raw));
    return { kind: 'owner', owner, raw };
  } catch {
    return { kind: 'unreadable', raw, ageMs };
  }
}

function createExclusive(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // atomic: fails if the lock exists
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes `path` only if it still holds `raw`, serialized with other breakers. */
function breakStale(path: string, raw: string): void {
  const guard = `${path}.break`;
  if (!createExclusive(guard, String(process.pid))) {
    // A breaker that died holding the guard would block everyone; the guard lives for microseconds.
    try {
      if (Date.now() - statSync(guard).mtimeMs > UNREADABLE_GRACE_MS) rmSync(guard, { force: true });
    } catch {
      // gone meanwhile
    }
    return;
  }
  try {
    let now: string | undefined;
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      now = undefined;
    }
    if (now === raw) unlinkSync(path);
  } finally {
    rmSync(guard, { force: true });
  }
}

export type TryLockResult = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockOwner | undefined };

/** One attempt to take the lock at `path` (breaking a stale one). Never waits. */
export function tryLock(path: string): TryLockResult {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const owner = currentOwner();
  const content = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(path, content)) return { acquired: true, lock: heldLock(path, owner) };
    const reading = readLock(path);
    if (reading.kind === 'absent') continue;
    if (reading.kind === 'owner') {
      if (ownerAlive(reading.owner)) return { acquired: false, holder: reading.owner };
      breakStale(path, reading.raw);
      continue;
    }
    if (reading.ageMs <= UNREADABLE_GRACE_MS) return { acquired: false, holder: undefined };
    breakStale(path, reading.raw);
  }
  const last = readLock(path);
  return { acquired: false, holder: last.kind === 'owner' ? last.owner : undefined };
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  let released = false;
  return {
    path,
    owner,
    release() {
      if (released) return;
      released = true;
      const reading = readLock(path);
      if (reading.kind === 'owner' && reading.owner.token === owner.token) rmSync(path, { force: true });
    },
  };
}

export interface LockWaitOptions {
  /** Attempts after the first (10-200 ms apart). */
  retries: number;
}

/** Takes the lock, retrying while another live holder keeps it; undefined when it stayed taken. */
export async function waitForLock(path: string, { retries }: LockWaitOptions): Promise<TryLockResult> {
  let result = tryLock(path);
  for (let i = 0; !result.acquired && i < retries; i++) {
    await new Promise((r) => setTimeout(r, Math.min(200, 10 * 1.2 ** i)));
    result = tryLock(path);
  }
  return result;
}
