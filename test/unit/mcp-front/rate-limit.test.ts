import { describe, expect, it } from 'vitest';
import { createRateLimiter, createRateLimitPolicy } from '../../../src/mcp-front/rate-limit.js';

const identity = (cn: string) => ({ cn, o: [], ou: [], dns: [], uri: [], serial: undefined });

describe('token bucket per certificate', () => {
  it('allows the burst, then refuses with the time until one token is back, and refills with the clock', () => {
    let t = 0;
    const limiter = createRateLimiter({ now: () => t });
    const limit = { calls_per_minute: 6, burst: 2 };
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(true);
    const refused = limiter.take('a', limit);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 10_000 });
    expect(limiter.take('b', limit).allowed).toBe(true);
    t = 10_000;
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
    expect(limiter.refused).toBe(2);
  });

  it('is unlimited without a limit; burst defaults to calls_per_minute', () => {
    const limiter = createRateLimiter({ now: () => 0 });
    for (let i = 0; i < 100; i += 1) expect(limiter.take('a', undefined).allowed).toBe(true);
    const limit = { calls_per_minute: 3 };
    expect([1, 2, 3, 4].map(() => limiter.take('b', limit).allowed)).toEqual([true, true, true, false]);
  });
});

describe('which limit applies', () => {
  const rules = [
    { identity: { cn: 'alice' }, allow_tools: [], deny_tools: [], allow_resources: [], deny_resources: [], rate_limit: { calls_per_minute: 1 } },
    { identity: { cn_pattern: '.*' }, allow_tools: [], deny_tools: [], allow_resources: [], deny_resources: [] },
  ];
  it("takes the first matching rule's rate_limit, else the service's", () => {
    const policy = createRateLimitPolicy(rules, { calls_per_minute: 100 });
    expect(policy.forIdentity(identity('alice'))).toEqual({ calls_per_minute: 1 });
    expect(policy.forIdentity(identity('bob'))).toEqual({ calls_per_minute: 100 });
    expect(createRateLimitPolicy(rules.slice(1), undefined).forIdentity(identity('bob'))).toBeUndefined();
  });
});
