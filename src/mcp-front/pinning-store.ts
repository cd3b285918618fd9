/**
 * Where an MCP front's pins live: one JSON file per service in the state dir's
 * mcp-pins/ (crash-safe atomic writes, 0600), read through a zod schema, and
 * updated under a cross-process lock so the front's workers and the
 * `tlsmcp mcp pins` commands never lose each other's writes. Readers keep the
 * parsed file and re-read it only when it was replaced (inode or mtime
 * changed), so checking a pin costs a stat, not a parse. Without a path the
 * store lives in memory (a front run as a library, tests).
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../state/json-file.js';
import { withStateLock } from '../state/lock.js';

const kind = z.enum(['tool', 'prompt', 'template']);

export const pinSchema = z.object({
  kind,
  name: z.string(),
  hash: z.string(),
  definition: z.record(z.string(), z.unknown()),
  pinned_at: z.string(),
});

export const pendingChangeSchema = z.object({
  kind,
  name: z.string(),
  change: z.enum(['changed', 'added', 'removed']),
  old_hash: z.string().optional(),
  new_hash: z.string().optional(),
  /** The definition the backend now serves (absent when removed): what `approve` pins. */
  definition: z.record(z.string(), z.unknown()).optional(),
  diff: z.array(z.string()),
  first_seen: z.string(),
  last_seen: z.string(),
  /** Agents (certificate CN or serial) whose sessions saw it. */
  seen_by: z.array(z.string()),
});

export const pinFileSchema = z.object({
  version: z.literal(1),
  service: z.string(),
  /** Kinds this service was first contacted for: before that, what the backend lists is pinned as is. */
  contacted: z.array(kind).default([]),
  pins: z.record(z.string(), pinSchema).default({}),
  changes: z.record(z.string(), pendingChangeSchema).default({}),
});

export type Pin = z.infer<typeof pinSchema>;
export type PendingChange = z.infer<typeof pendingChangeSchema>;
export type PinFile = z.infer<typeof pinFileSchema>;

export const pinKey = (k: Pin['kind'], name: string) => `${k}:${name}`;

export interface PinStore {
  /** The current pins and pending changes (cached; re-read when the file was replaced). */
  read(): PinFile;
  /** Read-modify-write under the lock; `fn` edits a fresh copy. */
  update(fn: (file: PinFile) => void): Promise<PinFile>;
}

export const emptyPinFile = (service: string): PinFile => ({ version: 1, service, contacted: [], pins: {}, changes: {} });

export function createPinStore(service: string, path?: string): PinStore {
  if (!path) {
    let file = emptyPinFile(service);
    return {
      read: () => file,
      async update(fn) {
        const next = structuredClone(file);
        fn(next);
        file = next;
        return file;
      },
    };
  }
  let cached: { file: PinFile; stamp: string } | undefined;
  const stampOf = () => {
    try {
      const s = statSync(path, { bigint: true });
      return `${s.ino}:${s.mtimeNs}:${s.size}`;
    } catch {
      return 'absent';
    }
  };
  const load = () => readJsonFile(path, pinFileSchema, () => emptyPinFile(service));
  // What this process wrote but the lock has not let it write to disk yet: read
  // sees it at once, so a session never re-pins what another just pinned.
  let optimistic: PinFile | undefined;
  let writing = 0;
  const read = () => {
    if (optimistic) return optimistic;
    const stamp = stampOf();
    if (!cached || cached.stamp !== stamp) cached = { file: load(), stamp };
    return cached.file;
  };
  return {
    read,
    async update(fn) {
      const guess = structuredClone(read());
      fn(guess);
      optimistic = guess;
      writing += 1;
      try {
        return await withStateLock(dirname(path), () => {
          const file = load();
          fn(file);
          writeJsonFile(path, file);
          cached = { file, stamp: stampOf() };
          return file;
        });
      } finally {
        writing -= 1;
        if (writing === 0) optimistic = undefined;
      }
    },
  };
}
