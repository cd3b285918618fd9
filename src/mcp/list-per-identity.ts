/**
 * Each caller is listed only the tools it may call: a `tools/list` answer
 * going out on a transport is filtered through the same decision as the call
 * itself (./authorization.ts `authorizeTool`, on the config current at that
 * moment), for the identity that sent the request. A read-only identity no
 * longer sees tools that would only fail for it. Calls are still checked in
 * tool-kit.ts: hiding is a courtesy to the agent, not the control.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { authorizeTool } from './authorization.js';
import type { McpServerDeps } from './deps.js';
import { identityFromAuthInfo, type CallerIdentity } from './identity.js';

export function listToolsPerIdentity(transport: Transport, deps: Pick<McpServerDeps, 'config'>): Transport {
  const listing = new Map<string | number, CallerIdentity>();

  const filter = (message: JSONRPCMessage): JSONRPCMessage => {
    if (listing.size === 0 || !('id' in message) || 'method' in message || !('result' in message)) return message;
    const identity = listing.get(message.id);
    if (!identity) return message;
    listing.delete(message.id);
    const result = message.result as { tools?: { name: string }[] };
    if (!Array.isArray(result.tools)) return message;
    const rules = deps.config.mcp.authorization;
    return { ...message, result: { ...result, tools: result.tools.filter((t) => authorizeTool(rules, identity, t.name).allowed) } };
  };

  return new Proxy(transport, {
    get(target, prop) {
      if (prop === 'send') return (message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]) => target.send(filter(message), options);
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, prop, value) {
      if (prop === 'onmessage' && typeof value === 'function') {
        const handler = value as NonNullable<Transport['onmessage']>;
        const wrapped: Transport['onmessage'] = (message, extra) => {
          if ('method' in message && message.method === 'tools/list' && 'id' in message) listing.set(message.id, identityFromAuthInfo(extra?.authInfo));
          handler(message, extra);
        };
        return Reflect.set(target, prop, wrapped, target);
      }
      return Reflect.set(target, prop, value, target);
    },
  });
}
