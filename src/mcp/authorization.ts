/**
 * Who may call what over MCP. A local caller (stdio) is trusted. A remote caller
 * with a valid certificate may call every read-only tool and read every
 * resource; the tools that change state need an `mcp.authorization` rule whose
 * identity matches the caller and whose `allow_tools` names the tool. A matching
 * rule's `deny_tools` / `deny_resources` always win. Deny unless allowed.
 */
import type { AuthorizationRule, IdentityMatcher } from '../config/primitives.js';
import { normalizeSerial } from '../ca/serial.js';
import { describeIdentity, type CallerIdentity } from './identity.js';

/** The tools that change state: remote callers need an explicit grant. */
export const STATE_CHANGING_TOOLS = ['tlsmcp_cert_issue', 'tlsmcp_cert_revoke', 'tlsmcp_proxy_reload'] as const;

export type Access = 'read' | 'write';

export function toolAccess(tool: string): Access {
  return (STATE_CHANGING_TOOLS as readonly string[]).includes(tool) ? 'write' : 'read';
}

export type Decision = { allowed: true; rule?: number } | { allowed: false; reason: string; fix: string };

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  const re = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${re}$`).test(value);
}

/** Every key the matcher gives must match the caller. `cn_pattern` must match the whole CN. */
export function identityMatches(matcher: IdentityMatcher, identity: CallerIdentity): boolean {
  if (identity.kind !== 'certificate') return false;
  const checks: boolean[] = [];
  if (matcher.cn !== undefined) checks.push(identity.cn === matcher.cn);
  if (matcher.cn_pattern !== undefined) checks.push(identity.cn !== undefined && new RegExp(`^(?:${matcher.cn_pattern})$`).test(identity.cn));
  if (matcher.o !== undefined) checks.push(identity.o.includes(matcher.o));
  if (matcher.ou !== undefined) checks.push(identity.ou.includes(matcher.ou));
  if (matcher.dns_san !== undefined) checks.push(identity.sans.dns.some((d) => globMatch(matcher.dns_san!, d)));
  if (matcher.uri_san !== undefined) checks.push(identity.sans.uri.some((u) => globMatch(matcher.uri_san!, u)));
  if (matcher.serial !== undefined) checks.push(identity.serial === normalizeSerial(matcher.serial));
  return checks.length > 0 && checks.every(Boolean);
}

function matchingRules(rules: AuthorizationRule[], identity: CallerIdentity): { rule: AuthorizationRule; index: number }[] {
  return rules.map((rule, index) => ({ rule, index })).filter(({ rule }) => identityMatches(rule.identity, identity));
}

/** May this caller call this tool? */
export function authorizeTool(rules: AuthorizationRule[], identity: CallerIdentity, tool: string): Decision {
  if (identity.kind === 'local') return { allowed: true };
  const who = describeIdentity(identity);
  const matched = matchingRules(rules, identity);
  const denied = matched.find(({ rule }) => rule.deny_tools.some((p) => globMatch(p, tool)));
  if (denied) {
    return {
      allowed: false,
      reason: `${who} lacks permission to call ${tool}: mcp.authorization[${denied.index}].deny_tools refuses it`,
      fix: `remove ${tool} from mcp.authorization[${denied.index}].deny_tools, or call it as another identity`,
    };
  }
  if (toolAccess(tool) === 'read') return { allowed: true };
  if (identity.kind === 'anonymous') {
    return {
      allowed: false,
      reason: `${who} lacks permission to call ${tool}: it changes state, and only a caller with a client certificate can be granted that`,
      fix: 'set mcp.self_secure: true and connect with a client certificate from the local CA that an mcp.authorization rule allows',
    };
  }
  const allowed = matched.find(({ rule }) => rule.allow_tools.some((p) => globMatch(p, tool)));
  if (allowed) return { allowed: true, rule: allowed.index };
  return {
    allowed: false,
    reason: `${who} lacks permission to call ${tool}: it changes state, and no mcp.authorization rule grants ${tool} to this identity (read-only tools remain available)`,
    fix: `add an mcp.authorization rule with identity { cn: "${identity.cn ?? ''}" } and allow_tools: ["${tool}"], or call it as an identity that has one`,
  };
}

/** May this caller read this resource? Resources are read-only: open unless a matching rule denies them. */
export function authorizeResource(rules: AuthorizationRule[], identity: CallerIdentity, uri: string): Decision {
  if (identity.kind === 'local') return { allowed: true };
  const denied = matchingRules(rules, identity).find(({ rule }) => rule.deny_resources.some((p) => globMatch(p, uri)));
  if (!denied) return { allowed: true };
  return {
    allowed: false,
    reason: `${describeIdentity(identity)} lacks permission to read ${uri}: mcp.authorization[${denied.index}].deny_resources refuses it`,
    fix: `remove the matching pattern from mcp.authorization[${denied.index}].deny_resources`,
  };
}

/** The scopes put in a remote caller's AuthInfo: informative, the rules above decide. */
export function scopesFor(rules: AuthorizationRule[], identity: CallerIdentity): string[] {
  const granted = STATE_CHANGING_TOOLS.filter((tool) => authorizeTool(rules, identity, tool).allowed);
  return ['tools:read', 'resources:read', ...granted.map((tool) => `tools:call:${tool}`)];
}
