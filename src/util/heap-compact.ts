/**
 * One memory-reducing garbage collection, for a long-lived thread that has just
 * finished starting. Loading the config schemas, the CA and the metrics registry
 * grows V8's young generation to tens of MB that an idle sidecar never uses again,
 * and V8 only gives it back on a memory-reducing collection, which an idle process
 * never triggers by itself (bench/PROFILE.md, "Memory": the main thread of
 * `tlsmcp run` 96 → 78 MB RSS). Node has no API for it: `gc` is taken from a
 * fresh context with --expose-gc set only for that moment, so nothing else in the
 * process sees a global `gc`.
 *
 * V8 flags are per process, not per thread: a worker turning the flag back off can
 * race this thread between setting it and creating the context. Then the context
 * has no `gc`, this attempt does nothing, and it is tried again a little later;
 * it never throws (it once did, and `tlsmcp run` exited at start).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimMalloc } from './malloc-trim.js';

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Collects once; false when `gc` could not be had this time. */
function collect(): boolean {
  const flagged = process.execArgv.some((a) => a === '--expose-gc' || a === '--expose_gc');
  if (!flagged) setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as Gc | undefined;
    if (!gc) return false;
    // 'last-resort' is V8's collect-all-available-garbage: it also shrinks the young generation.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return true;
  } catch {
    return false;
  } finally {
    if (!flagged) setFlagsFromString('--no-expose-gc');
  }
}

/**
 * Compacts now, or retries a few times (100 ms apart, unref'd) when another
 * thread held the flag off. After the collection, what it freed into the C heap
 * (backing stores, compiler zones) goes back to the OS too (src/util/malloc-trim.ts).
 */
export function compactHeap(retries = 3): boolean {
  if (collect()) {
    trimMalloc();
    return true;
  }
  if (retries > 0) setTimeout(() => compactHeap(retries - 1), 100).unref();
  return false;
}
