/**
 * One memory-reducing garbage collection, for a long-lived thread that has just
 * finished starting. Loading the config schemas, the CA and the metrics registry
 * grows V8's young generation to tens of MB that an idle sidecar never uses again,
 * and V8 only gives it back on a memory-reducing collection, which an idle process
 * never triggers by itself (bench/PROFILE.md, "Memory": the main thread of
 * `tlsmcp run` 96 → 78 MB RSS). Node has no API for it: `gc` is taken from a
 * fresh context with --expose-gc set only for that moment, so nothing else in the
 * process sees a global `gc`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcOptions = { type: 'major'; execution: 'sync'; flavor: 'last-resort' };

export function compactHeap(): void {
  const flagged = process.execArgv.some((a) => a === '--expose-gc' || a === '--expose_gc');
  if (!flagged) setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as ((options?: GcOptions) => void) | undefined;
    // 'last-resort' is V8's collect-all-available-garbage: it also shrinks the young generation.
    gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    if (!flagged) setFlagsFromString('--no-expose-gc');
  }
}
