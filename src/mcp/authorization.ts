/**
 * Who may call what over MCP, on the core rule engine (src/core/authorization.ts:
 * deny wins, then allow, then the default). A local caller (stdio) is trusted.
 * For a remote caller with a valid certificate the default opens every read-only
 * tool and every resource; the tools that change state need an
 * `mcp.authorization` rule whose identity matches the caller and whose
 * `allow_tools` names the tool. An anonymous caller (self_secure off) matches no
 * rule.
 */
import type { AuthorizationRule } from '../config/primitives.js';
import { compileRules, type RuleEngine } from '../core/authorization.js';
import { describeIdentity, type CallerIdentity } from './identity.js';

/** The tools that change state: remote callers need an explicit grant. */
export const STATE_CHANGING_TOOLS = ['tlsmcp_cert_issue', 'tlsmcp_cert_revoke', 'tlsmcp_proxy_reload', 'tlsmcp_mcp_pins'] as const;

export type Access = 'read' | 'write';

export function toolAccess(tool: string): Access {
  return (STATE_CHANGING_TOOLS as readonly string[]).includes(tool) ? 'write' : 'read';
}

export type Decision = { allowed: true; rule?: number } | { allowed: false; reason: string; fix: string };

// Rules compiled once per config (the array is replaced, never mutated, on reload).
const engines = new WeakMap<readonly AuthorizationRule[], RuleEngine>();

function rulesFor(rules: readonly AuthorizationRule[], identity: CallerIdentity) {
  let engine = engines.get(rules);
  if (!engine) engines.set(rules, (engine = compileRules(rules)));
  return engine.forIdentity({ cn: identity.cn, o: identity.o, ou: identity.ou, dns: identity.sans.dns, uri: identity.sans.uri, serial: identity.serial });
}

/** May this caller call this tool? */
export function authorizeTool(rules: AuthorizationRule[], identity: CallerIdentity, tool: string): Decision {
  if (identity.kind === 'local') return { allowed: true };
  const who = describeIdentity(identity);
  const readOnly = toolAccess(tool) === 'read';
  const decision = identity.kind === 'certificate' ? rulesFor(rules, identity).decide('tool', tool, readOnly) : { allowed: readOnly, by: 'default' as const, rule: undefined };
  if (decision.by === 'deny') {
    return {
      allowed: false,
      reason: `${who} lacks permission to call ${tool}: mcp.authorization[${decision.rule}].deny_tools refuses it`,
      fix: `remove ${tool} from mcp.authorization[${decision.rule}].deny_tools, or call it as another identity`,
    };
  }
  if (decision.allowed) return decision.rule === undefined ? { allowed: true } : { allowed: true, rule: decision.rule };
  if (identity.kind === 'anonymous') {
    return {
      allowed: false,
      reason: `${who} lacks permission to call ${tool}: it changes state, and only a caller with a client certificate can be granted that`,
      fix: 'set mcp.self_secure: true and connect with a client certificate from the local CA that an mcp.authorization rule allows',
    };
  }
  return {
    allowed: false,
    reason: `${who} lacks permission to call ${tool}: it changes state, and no mcp.authorization rule grants ${tool} to this identity (read-only tools remain available)`,
    fix: `add an mcp.authorization rule with identity { cn: "${identity.cn ?? ''}" } and allow_tools: ["${tool}"], or call it as an identity that has one`,
  };
}

/** May this caller read this resource? Resources are read-only: open unless a matching rule denies them. */
export function authorizeResource(rules: AuthorizationRule[], identity: CallerIdentity, uri: string): Decision {
  if (identity.kind !== 'certificate') return { allowed: true };
  const decision = rulesFor(rules, identity).decide('resource', uri, true);
  if (decision.by !== 'deny') return { allowed: true };
  return {
    allowed: false,
    reason: `${describeIdentity(identity)} lacks permission to read ${uri}: mcp.authorization[${decision.rule}].deny_resources refuses it`,
    fix: `remove the matching pattern from mcp.authorization[${decision.rule}].deny_resources`,
  };
}

/** The scopes put in a remote caller's AuthInfo: informative, the rules above decide. */
export function scopesFor(rules: AuthorizationRule[], identity: CallerIdentity): string[] {
  const granted = STATE_CHANGING_TOOLS.filter((tool) => authorizeTool(rules, identity, tool).allowed);
  return ['tools:read', 'resources:read', ...granted.map((tool) => `tools:call:${tool}`)];
}
