/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, rename
 * over the target, fsync the directory. A crash leaves the old file or the new
 * one, never half of either.
 */
import { mkdirSync, openSync, writeFileSync, fsyncSync, closeSync, renameSync, unlinkSync, chmodSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** File mode; private keys use 0o600. */
  mode?: number;
}

export function writeFileAtomic(path: string, data: string | Uint8Array, { mode = 0o644 }: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // Created with the final mode so a key is never readable by others, even briefly.
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeFileSync(fd, data); // loops over short writes, unlike a single writeSync
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    chmodSync(tmp, mode); // umask may have narrowed or (for 0644) kept; be exact.
    renameSync(tmp, path);
  } catch (err) {
    // The target is untouched; do not leave the temp file behind either.
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
