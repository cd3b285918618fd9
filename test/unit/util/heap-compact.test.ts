import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../../src/util/heap-compact.js';

describe('compactHeap', () => {
  it('gives back heap that startup grew and no longer uses, without leaving a global gc behind', () => {
    let garbage: number[][] | undefined = Array.from({ length: 300 }, () => Array.from({ length: 20_000 }, (_, i) => i));
    const grown = process.memoryUsage().heapTotal;
    expect(garbage.length).toBe(300);
    garbage = undefined;
    compactHeap();
    const after = process.memoryUsage().heapTotal;
    expect(grown - after).toBeGreaterThan(10 * 1024 * 1024);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
