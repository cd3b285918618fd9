/**
 * Follows the state dir's revocations.json, which `tlsmcp cert revoke` (another
 * process) rewrites atomically with a bumped `generation`. fs.watch on the
 * directory gives near-instant notice; a re-read every poll interval backs it
 * up on filesystems where watch events are unreliable, and tells how fresh the
 * list is (the score's "stale revocation data"). Either way a change is seen
 * well within a second.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readRevocations } from '../ca/inventory.js';
import type { Logger } from '../logger.js';

export interface RevocationWatcherOptions {
  path: string;
  /** Polling interval of the fallback; capped at 500 ms. */
  pollMs: number;
  logger: Logger;
  /** Called with every revoked serial whenever the generation changes. */
  onChange: (serials: string[], generation: number) => void;
}

export interface RevocationWatcher {
  /** The serials revoked when last read. */
  current(): string[];
  /** When the file was last read successfully (ISO), or null if never. */
  loadedAt(): string | null;
  /** Reads the file now (also what the watchers call). */
  check(): void;
  close(): void;
}

export function createRevocationWatcher(options: RevocationWatcherOptions): RevocationWatcher {
  const { path, logger } = options;
  let generation = -1;
  let serials: string[] = [];
  let dirWatcher: FSWatcher | undefined;
  let closed = false;
  let loadedAt: string | null = null;

  const check = () => {
    if (closed) return;
    let file;
    try {
      file = readRevocations(path);
    } catch (err) {
      logger.error({ event: 'revocations_unreadable', path, err: (err as Error).message }, 'cannot read revocations; keeping the last list');
      return;
    }
    loadedAt = new Date().toISOString();
    if (file.generation === generation) return;
    const first = generation === -1;
    generation = file.generation;
    serials = file.revoked.map((r) => r.serial);
    if (!first) options.onChange(serials, generation);
  };

  check();
  try {
    const name = basename(path);
    dirWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (!filename || filename === name || filename.startsWith(`.${name}`)) check();
    });
    dirWatcher.on('error', () => undefined);
  } catch {
    // The state dir may not exist yet (no CA): polling still covers it.
  }
  const poll = setInterval(check, Math.min(options.pollMs, 500));
  poll.unref();

  return {
    current: () => serials,
    loadedAt: () => loadedAt,
    check,
    close() {
      closed = true;
      dirWatcher?.close();
      clearInterval(poll);
    },
  };
}
