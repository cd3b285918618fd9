/**
 * zod building blocks shared by the config schema: durations, addresses,
 * identity matchers. Each refinement's message names what is wrong and the fix;
 * the config loader prefixes it with the key path.
 */
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { checkDurationBounds, DURATION_HINT, MAX_TIMER_MS, parseDuration, type DurationBounds } from '../util/duration.js';
import { parseHostPort } from '../util/address.js';
import { DURATION_BOUNDS, type DurationKind } from './duration-bounds.js';

/** A duration string within `bounds`, parsed to milliseconds. */
export function boundedDuration(bounds: DurationBounds) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: ${DURATION_HINT}` });
      return z.NEVER;
    }
    const outOfRange = checkDurationBounds(ms, bounds);
    if (outOfRange) {
      ctx.addIssue({ code: 'custom', message: outOfRange });
      return z.NEVER;
    }
    return ms;
  });
}

/** A duration key with its range from DURATION_BOUNDS. */
export function duration(kind: DurationKind) {
  return boundedDuration(DURATION_BOUNDS[kind]);
}

/** A timer duration without a key-specific range: 1 ms up to Node's timer ceiling. */
export const durationMs = boundedDuration({ min: 1, max: MAX_TIMER_MS });

/**
 * A listen address; port 0 asks the OS for a free port. `:8443` (no host) means
 * every interface, as in Go and ghostunnel: the host is left empty, which Node's
 * `listen()` takes as "::" where IPv6 exists and "0.0.0.0" otherwise.
 */
export const listenAddress = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  if (/^:\d+$/.test(trimmed)) {
    const parsed = parseHostPort(`0.0.0.0${trimmed}`, { allowZero: true });
    if (parsed.ok) return { host: '', port: parsed.value.port };
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  const parsed = parseHostPort(text, { allowZero: true });
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

/** An address to connect to. */
export const dialAddress = z.string().transform((text, ctx) => {
  const parsed = parseHostPort(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

/** Longest policy pattern accepted; real CN patterns are a few dozen characters. */
export const MAX_PATTERN_LENGTH = 1_000;

/**
 * Why a policy regular expression cannot be used, or undefined when it can:
 * it must compile and must not backtrack catastrophically (nested or
 * overlapping quantifiers such as `^(a+)+$`), because it runs on every CN a
 * client presents, and one crafted CN would stall the worker.
 */
export function regexProblem(text: string): string | undefined {
  if (text.length > MAX_PATTERN_LENGTH) return `is ${text.length} characters long (at most ${MAX_PATTERN_LENGTH})`;
  try {
    new RegExp(text);
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
  if (!safeRegex(text)) {
    return `${JSON.stringify(text)} can backtrack catastrophically (nested quantifiers such as (a+)+): one crafted CN could stall the proxy; rewrite it without a quantifier inside a quantified group, e.g. ^[a-z0-9.-]+\\.prod$`;
  }
  return undefined;
}

export const regexString = z.string().superRefine((text, ctx) => {
  const problem = regexProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Who a rule applies to. Every key given must match; at least one is required so
 * that an empty matcher cannot silently match everyone.
 */
export const identityMatcher = z
  .strictObject({
    cn: z.string().min(1).optional(),
    cn_pattern: regexString.optional(),
    o: z.string().min(1).optional(),
    ou: z.string().min(1).optional(),
    dns_san: z.string().min(1).optional(),
    uri_san: z.string().min(1).optional(),
    serial: z.string().regex(/^[0-9a-fA-F:]+$/, 'must be a hex serial number').optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: 'an identity needs at least one of cn, cn_pattern, o, ou, dns_san, uri_san, serial',
  });

export type IdentityMatcher = z.infer<typeof identityMatcher>;

/** Per-tool (and per-resource) authorization for MCP callers: allow and deny globs. */
/** `rate_limit` on an MCP front service or authorization rule: a token bucket per client certificate. */
export const rateLimitObject = z.strictObject({
  /** Sustained tools/call (and other requests) per minute for one certificate. */
  calls_per_minute: z.number().positive().max(1_000_000),
  /** Requests allowed at once above the sustained rate; defaults to calls_per_minute (at least 1). */
  burst: z.number().int().min(1).max(1_000_000).optional(),
});
export type RateLimitConfig = z.infer<typeof rateLimitObject>;

/** `pinning` on a `protocol: mcp` service: what a changed tool/prompt/template definition does. */
export const pinningObject = z.strictObject({
  mode: z.enum(['block', 'warn', 'off']).default('block'),
});
export type PinningConfig = z.infer<typeof pinningObject>;

export const authorizationRule = z.strictObject({
  identity: identityMatcher,
  allow_tools: z.array(z.string().min(1)).default([]),
  deny_tools: z.array(z.string().min(1)).default([]),
  allow_resources: z.array(z.string().min(1)).default([]),
  deny_resources: z.array(z.string().min(1)).default([]),
  allow_prompts: z.array(z.string().min(1)).default([]),
  deny_prompts: z.array(z.string().min(1)).default([]),
  /** MCP fronts: this rule's own per-certificate rate limit (the first matching rule that sets one wins over the service's). */
  rate_limit: rateLimitObject.optional(),
});

export type AuthorizationRule = z.infer<typeof authorizationRule>;
