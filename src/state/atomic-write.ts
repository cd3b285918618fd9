/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, rename
 * over the target, fsync the directory. A crash leaves the old file or the new
 * one, never half of either. A write the system refuses (disk full, read-only,
 * permissions) is ERR_STATE_WRITE naming the file, with no temp file left.
 */
import { mkdirSync, openSync, writeFileSync, fsyncSync, closeSync, renameSync, chmodSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TlsmcpError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode; private keys use 0o600. */
  mode?: number;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'the path is a directory',
};

/** Turns a system error from writing `path` into ERR_STATE_WRITE; anything else passes through. */
export function stateWriteError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code) || err instanceof TlsmcpError) return err;
  const text = ERRNO_TEXT[code] ?? (err as Error).message;
  return new TlsmcpError('ERR_STATE_WRITE', `cannot write ${path}: ${text} (${code})`, {
    fix: code === 'ENOSPC' || code === 'EDQUOT' ? `free space on the file system of ${dirname(path)}, then retry` : `check that ${dirname(path)} is writable by this user, then retry`,
    cause: err,
    details: { path, errno: code },
  });
}

export function writeFileAtomic(path: string, data: string | Uint8Array, { mode = 0o644 }: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Created with the final mode so a key is never readable by others, even briefly.
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeFileSync(fd, data); // loops over short writes, unlike a single writeSync
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode); // umask may have narrowed or (for 0644) kept; be exact.
    renameSync(tmp, path);
  } catch (err) {
    // The target is untouched; do not leave the temp file behind either.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // ENOTDIR and the like: there is no temp file to remove.
    }
    throw stateWriteError(path, err);
  }
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
