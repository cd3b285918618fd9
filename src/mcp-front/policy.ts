/**
 * Per-agent authorization for MCP fronts: the core rule engine
 * (src/core/authorization.ts) over a service's `authorization` rules, with the
 * front's default and its messages. A service with no rules at all allows every
 * tool, resource and prompt to any agent whose certificate was admitted;
 * otherwise deny wins, then allow, else deny.
 */
import { compileRules, describeMatcher, type PermissionKind, type RuleSpec } from '../core/authorization.js';
import { matchable, type PeerIdentity } from './peer-identity.js';

export type { PermissionKind } from '../core/authorization.js';

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

const KEY: Record<PermissionKind, string> = { tool: 'tools', resource: 'resources', prompt: 'prompts' };

/** Compiles a service's rules once; patterns are checked by the config schema already. */
export function createAuthorizer(serviceName: string, rules: readonly RuleSpec[]): Authorizer {
  const engine = compileRules(rules);
  const label = (index: number) => `authorization[${index}] (${describeMatcher(rules[index]!.identity)})`;
  return {
    forIdentity(identity) {
      const applicable = engine.forIdentity(matchable(identity));
      const who = identity.cn !== undefined ? `agent ${JSON.stringify(identity.cn)}` : `agent with serial ${identity.serial ?? '-'}`;
      return {
        decide(kind, name) {
          const d = applicable.decide(kind, name, engine.size === 0);
          const permission = d.permission;
          const key = KEY[kind];
          if (d.by === 'deny') return { allowed: false, permission, reason: `${who} is denied ${permission} by deny_${key} of ${label(d.rule!)} on service "${serviceName}"` };
          if (d.by === 'allow') return { allowed: true, permission, reason: `allowed by ${label(d.rule!)}` };
          if (d.allowed) return { allowed: true, permission, reason: 'the service has no authorization rules' };
          if (applicable.matched.length === 0) {
            return { allowed: false, permission, reason: `${who} lacks permission ${permission}: no authorization rule of service "${serviceName}" matches this identity` };
          }
          const granted = applicable.granted(kind);
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
