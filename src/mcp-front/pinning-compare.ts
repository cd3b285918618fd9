/**
 * The pure part of pinning: what a list the backend served means against the
 * pins (first contact, unchanged, changed, added, removed), and how that is
 * written into the pin file. Used on the cached file to decide what an agent
 * sees, and again on a fresh copy under the lock to record it.
 */
import { definitionDiff, definitionHash, pinnedDefinition, type Definition, type PinKind } from './pinning-hash.js';
import { pinKey, type PendingChange, type PinFile } from './pinning-store.js';

export interface Observed {
  name: string;
  definition: Definition;
  hash: string;
}

export interface Change {
  kind: PinKind;
  name: string;
  change: PendingChange['change'];
  old_hash?: string | undefined;
  new_hash?: string | undefined;
  definition?: Definition | undefined;
  diff: string[];
}

export interface Comparison {
  firstContact: boolean;
  changes: Change[];
  /** Pending changes the backend went back on: the pin matches again. */
  settled: string[];
}

/** Hashes by the definition's plain JSON text: a backend serves the same bytes for the same definition, and JSON.stringify is much cheaper than canonicalizing. */
export type HashCache = Map<string, string>;
const MAX_CACHED = 2_000;

export function observe(kind: PinKind, items: readonly Record<string, unknown>[], cache?: HashCache): Observed[] {
  return items.map((item) => {
    const definition = pinnedDefinition(kind, item);
    if (!cache) return { name: String(item.name ?? ''), definition, hash: definitionHash(definition) };
    const text = JSON.stringify(definition);
    let hash = cache.get(text);
    if (hash === undefined) {
      hash = definitionHash(definition);
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(text, hash);
    }
    return { name: String(item.name ?? ''), definition, hash };
  });
}

/** Whether recording this comparison would change the pin file (a held-back tool listed again by the same agent would not). */
export function worthRecording(file: PinFile, result: Comparison, agent: string): boolean {
  if (result.firstContact || result.settled.length) return true;
  return result.changes.some((c) => {
    const existing = file.changes[pinKey(c.kind, c.name)];
    return !existing || existing.change !== c.change || existing.new_hash !== c.new_hash || !existing.seen_by.includes(agent);
  });
}

/** `complete`: the whole list (no pagination), so a pin missing from it was removed. */
export function compare(file: PinFile, kind: PinKind, observed: readonly Observed[], complete: boolean): Comparison {
  if (!file.contacted.includes(kind)) return { firstContact: true, changes: [], settled: [] };
  const changes: Change[] = [];
  const settled: string[] = [];
  for (const o of observed) {
    const key = pinKey(kind, o.name);
    const pin = file.pins[key];
    if (pin && pin.hash === o.hash) {
      if (file.changes[key]) settled.push(key);
      continue;
    }
    changes.push({
      kind,
      name: o.name,
      change: pin ? 'changed' : 'added',
      old_hash: pin?.hash,
      new_hash: o.hash,
      definition: o.definition,
      // The diff of a change already on file is reused: listing a held-back tool again stays cheap.
      diff: file.changes[key]?.new_hash === o.hash ? file.changes[key]!.diff : definitionDiff(pin?.definition, o.definition),
    });
  }
  if (complete) {
    const names = new Set(observed.map((o) => o.name));
    for (const pin of Object.values(file.pins)) {
      if (pin.kind !== kind || names.has(pin.name)) continue;
      const key = pinKey(kind, pin.name);
      if (file.changes[key]?.change === 'removed') continue;
      changes.push({ kind, name: pin.name, change: 'removed', old_hash: pin.hash, diff: definitionDiff(pin.definition, undefined) });
    }
  }
  return { firstContact: false, changes, settled };
}

/** Writes an observation into `file` (a fresh copy, under the lock). Returns the changes it recorded. */
export function record(file: PinFile, kind: PinKind, observed: readonly Observed[], complete: boolean, agent: string, at: string): Change[] {
  const result = compare(file, kind, observed, complete);
  if (result.firstContact) {
    file.contacted.push(kind);
    for (const o of observed) file.pins[pinKey(kind, o.name)] = { kind, name: o.name, hash: o.hash, definition: o.definition, pinned_at: at };
    return [];
  }
  for (const key of result.settled) delete file.changes[key];
  for (const c of result.changes) {
    const key = pinKey(kind, c.name);
    const existing = file.changes[key];
    if (existing && existing.change === c.change && existing.new_hash === c.new_hash) {
      existing.last_seen = at;
      if (!existing.seen_by.includes(agent)) existing.seen_by.push(agent);
      continue;
    }
    file.changes[key] = {
      kind,
      name: c.name,
      change: c.change,
      ...(c.old_hash ? { old_hash: c.old_hash } : {}),
      ...(c.new_hash ? { new_hash: c.new_hash } : {}),
      ...(c.definition ? { definition: c.definition } : {}),
      diff: c.diff,
      first_seen: at,
      last_seen: at,
      seen_by: [agent],
    };
  }
  return result.changes;
}

/** Accepts pending changes (all, or one name): the backend's current definitions become the pins. */
export function approve(file: PinFile, at: string, name?: string): string[] {
  const approved: string[] = [];
  for (const [key, c] of Object.entries(file.changes)) {
    if (name !== undefined && c.name !== name) continue;
    if (c.change === 'removed') delete file.pins[key];
    else if (c.definition && c.new_hash) file.pins[key] = { kind: c.kind, name: c.name, hash: c.new_hash, definition: c.definition, pinned_at: at };
    delete file.changes[key];
    approved.push(key);
  }
  return approved;
}
