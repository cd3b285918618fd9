/**
 * Per-agent rate limits for an MCP front: a token bucket per client
 * certificate (by fingerprint, so all of an agent's sessions share it), sized
 * by the first authorization rule matching the identity that sets `rate_limit`,
 * else by the service's `rate_limit`, else unlimited. A refill of
 * calls_per_minute / 60 tokens a second, up to `burst` (default
 * calls_per_minute, at least 1). One clock is passed in.
 */
import type { RateLimitConfig } from '../config/primitives.js';
import { mcpCounterKey } from '../protocol/mcp-counters.js';
import { compileRules, type MatchableIdentity, type RuleSpec } from '../core/authorization.js';

export interface RateVerdict {
  allowed: boolean;
  /** When refused: milliseconds until one request will be allowed again. */
  retryAfterMs: number;
  /** The limit that applied, for messages. */
  limit?: RateLimitConfig | undefined;
}

export interface RateLimiter {
  /** Takes one token from `key`'s bucket under `limit` (undefined: unlimited). */
  take(key: string, limit: RateLimitConfig | undefined): RateVerdict;
  readonly refused: number;
  /** `refused` keyed for Prometheus (src/protocol/mcp-counters.ts). */
  counters(): Record<string, number>;
}

interface Bucket {
  tokens: number;
  at: number;
  limit: RateLimitConfig;
}

const REFUSED_KEY = mcpCounterKey({ metric: 'rate_limited', kind: '', tool: '', outcome: 'refused' });

/** Buckets idle this long are full again and are forgotten. */
const FORGET_AFTER_MS = 10 * 60_000;

export function createRateLimiter({ now = () => Date.now() }: { now?: () => number } = {}): RateLimiter {
  const buckets = new Map<string, Bucket>();
  let refused = 0;
  let lastSweep = now();
  const capacityOf = (limit: RateLimitConfig) => limit.burst ?? Math.max(1, Math.floor(limit.calls_per_minute));

  const sweep = (t: number) => {
    if (t - lastSweep < FORGET_AFTER_MS) return;
    lastSweep = t;
    for (const [key, b] of buckets) if (t - b.at > FORGET_AFTER_MS) buckets.delete(key);
  };

  return {
    get refused() {
      return refused;
    },
    counters() {
      return refused ? { [REFUSED_KEY]: refused } : {};
    },
    take(key, limit) {
      if (!limit) return { allowed: true, retryAfterMs: 0 };
      const t = now();
      sweep(t);
      const capacity = capacityOf(limit);
      const perMs = limit.calls_per_minute / 60_000;
      let bucket = buckets.get(key);
      if (!bucket || bucket.limit.calls_per_minute !== limit.calls_per_minute || bucket.limit.burst !== limit.burst) {
        bucket = { tokens: capacity, at: t, limit };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, retryAfterMs: 0, limit };
      }
      refused += 1;
      return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs), limit };
    },
  };
}

export interface RateLimitPolicy {
  /** The limit for this identity: its first matching rule's `rate_limit`, else the service's. */
  forIdentity(identity: MatchableIdentity): RateLimitConfig | undefined;
}

/** Compiles the rules' identity matchers once (per config load). */
export function createRateLimitPolicy(rules: readonly (RuleSpec & { rate_limit?: RateLimitConfig | undefined })[], serviceLimit: RateLimitConfig | undefined): RateLimitPolicy {
  const limited = rules.some((r) => r.rate_limit);
  const engine = limited ? compileRules(rules) : undefined;
  return {
    forIdentity(identity) {
      if (!engine) return serviceLimit;
      for (const index of engine.forIdentity(identity).matched) {
        const limit = rules[index]?.rate_limit;
        if (limit) return limit;
      }
      return serviceLimit;
    },
  };
}
