/**
 * Per-agent authorization for MCP: which tools an identity may call and which
 * resource URIs it may read, from the service's `authorization` rules.
 *
 * Semantics (deny unless allowed):
 *  - a service with no `authorization` rules at all allows every tool and resource
 *    to any agent whose certificate was admitted;
 *  - otherwise the rules whose `identity` matches the agent apply (every key given
 *    in `identity` must match); a name matching any applicable deny glob is denied,
 *    else one matching any applicable allow glob is allowed, else it is denied;
 *  - globs are minimatch patterns (`read_*`, `file:///srv/data/**`); a lone `*` or
 *    `**` matches everything, URIs included.
 */
import { Minimatch } from 'minimatch';
import type { AuthorizationRule, IdentityMatcher } from '../config/primitives.js';
import { normalizeSerial } from '../ca/serial.js';
import type { PeerIdentity } from './peer-identity.js';

export type PermissionKind = 'tool' | 'resource';

export interface Decision {
  allowed: boolean;
  /** The permission asked for, e.g. `tool:write_file` or `resource:file:///etc/passwd`. */
  permission: string;
  /** Why, in words an agent or operator can act on. */
  reason: string;
}

export interface AgentPolicy {
  decide(kind: PermissionKind, name: string): Decision;
}

export interface Authorizer {
  /** The policy for one agent; computed once per session. */
  forIdentity(identity: PeerIdentity): AgentPolicy;
}

type Matcher = (name: string) => boolean;

function compileGlob(pattern: string): Matcher {
  if (pattern === '*' || pattern === '**') return () => true;
  const mm = new Minimatch(pattern, { dot: true, nocomment: true, nonegate: true });
  return (name) => mm.match(name);
}

interface CompiledRule {
  matches(identity: PeerIdentity): boolean;
  label: string;
  allow: Record<PermissionKind, Matcher[]>;
  deny: Record<PermissionKind, Matcher[]>;
  allowPatterns: Record<PermissionKind, string[]>;
}

function compileIdentity(m: IdentityMatcher): (identity: PeerIdentity) => boolean {
  const cnPattern = m.cn_pattern !== undefined ? new RegExp(`^(?:${m.cn_pattern})$`) : undefined;
  const serial = m.serial !== undefined ? normalizeSerial(m.serial) : undefined;
  return (id) =>
    (m.cn === undefined || id.cn === m.cn) &&
    (cnPattern === undefined || (id.cn !== undefined && cnPattern.test(id.cn))) &&
    (m.o === undefined || id.o.includes(m.o)) &&
    (m.ou === undefined || id.ou.includes(m.ou)) &&
    (m.dns_san === undefined || id.sans.dns.includes(m.dns_san)) &&
    (m.uri_san === undefined || id.sans.uri.includes(m.uri_san)) &&
    (serial === undefined || id.serial === serial);
}

function describeMatcher(m: IdentityMatcher): string {
  return Object.entries(m)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}

function compileRule(rule: AuthorizationRule, index: number): CompiledRule {
  return {
    matches: compileIdentity(rule.identity),
    label: `authorization[${index}] (${describeMatcher(rule.identity)})`,
    allow: { tool: rule.allow_tools.map(compileGlob), resource: rule.allow_resources.map(compileGlob) },
    deny: { tool: rule.deny_tools.map(compileGlob), resource: rule.deny_resources.map(compileGlob) },
    allowPatterns: { tool: rule.allow_tools, resource: rule.allow_resources },
  };
}

const ALLOW_ALL: AgentPolicy = {
  decide: (kind, name) => ({
    allowed: true,
    permission: `${kind}:${name}`,
    reason: 'the service has no authorization rules',
  }),
};

/** Compiles a service's rules once; patterns are checked by the config schema already. */
export function createAuthorizer(serviceName: string, rules: AuthorizationRule[]): Authorizer {
  if (rules.length === 0) return { forIdentity: () => ALLOW_ALL };
  const compiled = rules.map(compileRule);
  return {
    forIdentity(identity) {
      const applicable = compiled.filter((r) => r.matches(identity));
      const who = identity.cn !== undefined ? `agent "${identity.cn}"` : `agent with serial ${identity.serial ?? '-'}`;
      return {
        decide(kind, name) {
          const permission = `${kind}:${name}`;
          const key = kind === 'tool' ? 'tools' : 'resources';
          const denying = applicable.find((r) => r.deny[kind].some((m) => m(name)));
          if (denying) {
            return { allowed: false, permission, reason: `${who} is denied ${permission} by deny_${key} of ${denying.label} on service "${serviceName}"` };
          }
          const allowing = applicable.find((r) => r.allow[kind].some((m) => m(name)));
          if (allowing) return { allowed: true, permission, reason: `allowed by ${allowing.label}` };
          if (applicable.length === 0) {
            return { allowed: false, permission, reason: `${who} lacks permission ${permission}: no authorization rule of service "${serviceName}" matches this identity` };
          }
          const granted = [...new Set(applicable.flatMap((r) => r.allowPatterns[kind]))];
          return {
            allowed: false,
            permission,
            reason: `${who} lacks permission ${permission} on service "${serviceName}" (allow_${key} for this identity: ${granted.length ? granted.join(', ') : 'none'})`,
          };
        },
      };
    },
  };
}
