import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../../src/util/heap-compact.js';

describe('compactHeap', () => {
  it('gives back heap that startup grew and no longer uses, without leaving a global gc behind', () => {
    let garbage: number[][] | undefined = Array.from({ length: 300 }, () => Array.from({ length: 20_000 }, (_, i) => i));
    const grown = process.memoryUsage().heapTotal;
    expect(garbage.length).toBe(300);
    garbage = undefined;
    expect(compactHeap(0)).toBe(true);
    const after = process.memoryUsage().heapTotal;
    expect(grown - after).toBeGreaterThan(10 * 1024 * 1024);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('never throws while another thread turns --expose-gc off under it (V8 flags are per process)', async () => {
    // Another thread doing what compactHeap does in every worker: flag on, flag off, in a loop.
    const toggler = new Worker(
      `const { setFlagsFromString } = require('node:v8'); const { parentPort } = require('node:worker_threads');
       let stop = false; parentPort.on('message', () => (stop = true));
       (function spin() { for (let i = 0; i < 2000; i++) { setFlagsFromString('--expose-gc'); setFlagsFromString('--no-expose-gc'); } if (!stop) setImmediate(spin); else parentPort.close(); })();`,
      { eval: true },
    );
    try {
      let collected = 0;
      for (let i = 0; i < 100; i++) if (compactHeap(0)) collected += 1;
      expect(collected).toBeGreaterThan(0);
    } finally {
      toggler.postMessage('stop');
      await toggler.terminate();
    }
  });
});
