/**
 * Authorization: what an admitted identity may call. One rule engine for a
 * service's `authorization` (MCP fronts) and `mcp.authorization` (the remote
 * MCP listener), for tools, resources and prompts.
 *
 * Precedence: the rules whose `identity` matches the caller apply (every key
 * given must match; a matcher with no keys is refused at config load). A name
 * matched by any applicable `deny_*` is denied (deny wins); else one matched by
 * any applicable `allow_*` is allowed; else the listener's default applies,
 * which is deny unless the listener passes another (an MCP front with no rules
 * at all allows everything; the remote listener opens read-only tools).
 *
 * Identity matcher grammar: `cn` exact, `cn_pattern` a regular expression
 * matching the whole CN, `o` / `ou` / `dns_san` / `uri_san` with the wildcards
 * of ./match.ts, `serial` in any hex spelling. Tool and prompt names and
 * resource URIs use the same wildcards (`*` one segment of a URI, `**` across).
 */
import { normalizeSerial } from '../ca/serial.js';
import { compileFullMatch, compilePattern, type ValueKind } from './match.js';

export type PermissionKind = 'tool' | 'resource' | 'prompt';

export interface IdentityMatcherSpec {
  cn?: string | undefined;
  cn_pattern?: string | undefined;
  o?: string | undefined;
  ou?: string | undefined;
  dns_san?: string | undefined;
  uri_san?: string | undefined;
  serial?: string | undefined;
}

export interface RuleSpec {
  identity: IdentityMatcherSpec;
  allow_tools: string[];
  deny_tools: string[];
  allow_resources: string[];
  deny_resources: string[];
  allow_prompts?: string[] | undefined;
  deny_prompts?: string[] | undefined;
}

/** What a matcher reads of an identity. */
export interface MatchableIdentity {
  cn: string | undefined;
  o: string[];
  ou: string[];
  dns: string[];
  uri: string[];
  serial: string | undefined;
}

export interface Decision {
  allowed: boolean;
  /** e.g. `tool:write_file`, `resource:file:///etc/passwd`. */
  permission: string;
  /** Index of the rule that decided, when one did. */
  rule?: number;
  /** `deny`, `allow` or `default`. */
  by: 'deny' | 'allow' | 'default';
}

export interface IdentityRules {
  /** Whether any rule applies to this identity. */
  readonly matched: number[];
  decide(kind: PermissionKind, name: string, fallback?: boolean): Decision;
  /** The allow patterns of the applicable rules for a kind (for messages). */
  granted(kind: PermissionKind): string[];
}

export interface RuleEngine {
  readonly size: number;
  forIdentity(identity: MatchableIdentity): IdentityRules;
}

const KIND_OF_NAME: Record<PermissionKind, ValueKind> = { tool: 'name', resource: 'uri', prompt: 'name' };

function compileIdentityMatcher(m: IdentityMatcherSpec): (id: MatchableIdentity) => boolean {
  const tests: ((id: MatchableIdentity) => boolean)[] = [];
  if (m.cn !== undefined) tests.push((id) => id.cn === m.cn);
  if (m.cn_pattern !== undefined) {
    const re = compileFullMatch(m.cn_pattern);
    tests.push((id) => id.cn !== undefined && re.test(id.cn));
  }
  const any = (pattern: string | undefined, kind: ValueKind, pick: (id: MatchableIdentity) => string[]) => {
    if (pattern === undefined) return;
    const match = compilePattern(pattern, kind);
    tests.push((id) => pick(id).some(match));
  };
  any(m.o, 'name', (id) => id.o);
  any(m.ou, 'name', (id) => id.ou);
  any(m.dns_san, 'dns', (id) => id.dns);
  any(m.uri_san, 'uri', (id) => id.uri);
  if (m.serial !== undefined) {
    const serial = normalizeSerial(m.serial);
    tests.push((id) => id.serial === serial);
  }
  // The config schema refuses an empty matcher; should one get here, it matches nobody.
  if (tests.length === 0) return () => false;
  return (id) => tests.every((t) => t(id));
}

interface CompiledRule {
  index: number;
  matches: (id: MatchableIdentity) => boolean;
  allow: Record<PermissionKind, ((name: string) => boolean)[]>;
  deny: Record<PermissionKind, ((name: string) => boolean)[]>;
  allowPatterns: Record<PermissionKind, string[]>;
}

function compileRule(rule: RuleSpec, index: number): CompiledRule {
  const globs = (patterns: string[] | undefined, kind: PermissionKind) => (patterns ?? []).map((p) => compilePattern(p, KIND_OF_NAME[kind]));
  return {
    index,
    matches: compileIdentityMatcher(rule.identity),
    allow: { tool: globs(rule.allow_tools, 'tool'), resource: globs(rule.allow_resources, 'resource'), prompt: globs(rule.allow_prompts, 'prompt') },
    deny: { tool: globs(rule.deny_tools, 'tool'), resource: globs(rule.deny_resources, 'resource'), prompt: globs(rule.deny_prompts, 'prompt') },
    allowPatterns: { tool: rule.allow_tools, resource: rule.allow_resources, prompt: rule.allow_prompts ?? [] },
  };
}

/** Compiles rules once (per config load); `forIdentity` once per session or connection. */
export function compileRules(rules: readonly RuleSpec[]): RuleEngine {
  const compiled = rules.map(compileRule);
  return {
    size: compiled.length,
    forIdentity(identity) {
      const applicable = compiled.filter((r) => r.matches(identity));
      return {
        matched: applicable.map((r) => r.index),
        decide(kind, name, fallback = false) {
          const permission = `${kind}:${name}`;
          const denying = applicable.find((r) => r.deny[kind].some((m) => m(name)));
          if (denying) return { allowed: false, permission, rule: denying.index, by: 'deny' };
          const allowing = applicable.find((r) => r.allow[kind].some((m) => m(name)));
          if (allowing) return { allowed: true, permission, rule: allowing.index, by: 'allow' };
          return { allowed: fallback, permission, by: 'default' };
        },
        granted: (kind) => [...new Set(applicable.flatMap((r) => r.allowPatterns[kind]))],
      };
    },
  };
}

/** A readable label of a rule's identity matcher: `cn=alice,ou=eng`. */
export function describeMatcher(m: IdentityMatcherSpec): string {
  return Object.entries(m)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}
