/**
 * The local CA's revocation list as a source of the revocation feed: follows
 * the state dir's revocations.json (rewritten atomically by `tlsmcp cert
 * revoke` in any process, by the revoke tool, ...). A directory watch gives
 * near-instant notice. The list is re-read every poll interval (at most 500 ms)
 * only where the watch is not working (it could not be set up or reported an
 * error) or while the list is unreadable; with a live watch a re-read every
 * 30 s is the backstop (bench/PROFILE.md item 9: the fast poll was idle CPU
 * for nothing), and the list counts as fresh as of now.
 *
 * Fails closed: a list that cannot be read at start stops the start with
 * ERR_STATE_CORRUPT, unless the last good copy (`revocations.json.last-good`,
 * kept beside it after every good read) exists: then that is applied and the
 * problem is logged as an error on every poll until the list reads again. Every
 * good read applies the whole list, so a list that becomes readable again is
 * applied, whatever was read before.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readRevocations } from '../ca/inventory.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { RevocationFeed } from './revocation.js';

export interface RevocationFileOptions {
  path: string;
  /** Re-read interval of the fallback poll; capped at 500 ms. */
  pollMs: number;
  logger: Logger;
  clock?: () => Date;
}

export interface RevocationFileSource {
  /**
   * How fresh the list is (ISO), or null if it was never read: while the directory
   * watch is live and the last read succeeded, now (every change is re-read as it
   * happens); otherwise when it was last read successfully.
   */
  loadedAt(): string | null;
  /** Reads the list now and applies it; resolves when its new serials are cut. */
  check(): Promise<void>;
  close(): void;
}

/** With a live directory watch, a re-read this often catches an event the watch missed. */
const BACKSTOP_MS = 30_000;

export function lastGoodPath(path: string): string {
  return `${path}.last-good`;
}

/** Reads once (failing closed), then follows the file. */
export function followRevocationFile(feed: RevocationFeed, options: RevocationFileOptions): RevocationFileSource {
  const { path, logger } = options;
  const clock = options.clock ?? (() => new Date());
  let generation = -1;
  let loadedAt: string | null = null;
  let closed = false;
  let failing = false;

  const read = () => {
    const file = readRevocations(path);
    return { file, serials: file.revoked.map((r) => r.serial), generation: file.generation };
  };

  // Start: the list, else its last good copy, else refuse to start.
  let first: { serials: string[] };
  try {
    first = read();
  } catch (err) {
    const backup = lastGoodPath(path);
    if (!existsSync(backup)) {
      throw new TlsmcpError('ERR_STATE_CORRUPT', `cannot read the revocation list ${path}: ${(err as Error).message}; refusing to start without it (revoked certificates would be accepted)`, {
        fix: `restore ${path} from a backup (or remove it if no certificate was ever revoked), then start again`,
        cause: err,
      });
    }
    const copy = readRevocations(backup);
    first = { serials: copy.revoked.map((r) => r.serial) };
    failing = true;
    logger.error(
      { event: 'revocations_unreadable', path, using: backup, err: (err as Error).message },
      `REVOCATION LIST UNREADABLE: ${path}: ${(err as Error).message}; running on the last good copy ${backup} (${copy.revoked.length} serial(s)) until it reads again`,
    );
  }
  void feed.add(first.serials);
  if (!failing) loadedAt = clock().toISOString();

  const check = async () => {
    if (closed) return;
    let read1;
    try {
      read1 = read();
    } catch (err) {
      if (!failing) logger.error({ event: 'revocations_unreadable', path, err: (err as Error).message }, `REVOCATION LIST UNREADABLE: ${path}: ${(err as Error).message}; keeping the ${feed.size} serial(s) already revoked`);
      failing = true;
      return;
    }
    if (failing) logger.warn({ event: 'revocations_readable', path }, `revocation list ${path} reads again; applying it`);
    failing = false;
    loadedAt = clock().toISOString();
    if (read1.generation === generation) return;
    generation = read1.generation;
    try {
      writeFileAtomic(lastGoodPath(path), `${JSON.stringify(read1.file)}\n`, { mode: 0o600 });
    } catch {
      // A read-only state dir: the copy is a convenience, the list itself is what counts.
    }
    const { added, cut } = await feed.add(read1.serials);
    if (added.length) logger.warn({ event: 'revocation_applied', serials: added, cut }, `revocation list: ${added.length} newly revoked serial(s) applied`);
  };
  const kick = () => void check().catch(() => undefined);

  let dirWatcher: FSWatcher | undefined;
  let watching = false;
  try {
    const name = basename(path);
    dirWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (!filename || filename === name || filename.startsWith(`.${name}`)) kick();
    });
    watching = true;
    dirWatcher.on('error', () => {
      watching = false; // back to the fast poll
    });
  } catch {
    // The state dir may not exist yet: the fast poll covers it.
  }
  const fastMs = Math.min(options.pollMs, 500);
  let poll: NodeJS.Timeout | undefined;
  const arm = () => {
    if (closed) return;
    poll = setTimeout(() => void check().catch(() => undefined).finally(arm), watching && !failing ? BACKSTOP_MS : fastMs);
    poll.unref();
  };
  arm();
  if (!failing) kick(); // writes the first last-good copy

  return {
    loadedAt: () => (watching && !failing && loadedAt !== null ? clock().toISOString() : loadedAt),
    check,
    close() {
      closed = true;
      dirWatcher?.close();
      clearTimeout(poll);
    },
  };
}
