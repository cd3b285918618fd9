import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/hub/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, jittering the upper half', () => {
    const at = (attempt: number, random: number) => backoffDelay(attempt, { baseMs: 100, maxMs: 1_000, random: () => random });
    expect([1, 2, 3, 4, 5].map((n) => at(n, 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(at(1, 0)).toBe(50);
    expect(at(5, 0)).toBe(500);
  });
});
