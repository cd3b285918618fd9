/**
 * Audits the tool calls the SDK refuses before any tool code runs (an unknown
 * tool name, arguments that fail the input schema): they never reach the
 * guard in tool-kit.ts, which audits every call that does. It watches one
 * transport: a `tools/call` request going in, its `isError` answer coming out
 * without the guard's `ERR_…` code.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerDeps } from './deps.js';
import { describeIdentity, identityFromAuthInfo, type CallerIdentity } from './identity.js';

interface Pending {
  tool: string;
  service: string;
  identity: CallerIdentity;
  started: bigint;
}

/** Text the guard puts first in every error it returns: those calls are audited already. */
const GUARD_ERROR = /^ERR_[A-Z_]+: /;

export function auditRejectedCalls(transport: Transport, deps: Pick<McpServerDeps, 'auditLog' | 'clock'>): Transport {
  const pending = new Map<string | number, Pending>();

  const onResponse = (message: JSONRPCMessage) => {
    if (!('id' in message) || message.id === undefined || ('method' in message)) return;
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    const result = 'result' in message ? (message.result as { isError?: boolean; content?: { type: string; text?: string }[] }) : undefined;
    const error = 'error' in message ? (message.error as { message?: string }) : undefined;
    const text = result?.content?.find((c) => c.type === 'text')?.text ?? error?.message ?? '';
    if (!error && (!result?.isError || GUARD_ERROR.test(text))) return;
    deps.auditLog.append({
      time: deps.clock().toISOString(),
      kind: 'tool_call',
      service: call.service,
      tool: call.tool,
      caller: describeIdentity(call.identity),
      caller_kind: call.identity.kind,
      ...(call.identity.cn ? { peer_cn: call.identity.cn } : {}),
      ...(call.identity.serial ? { serial: call.identity.serial } : {}),
      ...(call.identity.fingerprint ? { fingerprint: call.identity.fingerprint } : {}),
      result: 'rejected',
      reason: text.split('\n')[0] ?? '',
      latency_ms: Number(process.hrtime.bigint() - call.started) / 1e6,
    });
  };

  return new Proxy(transport, {
    get(target, prop) {
      if (prop === 'send') {
        return (message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]) => {
          onResponse(message);
          return target.send(message, options);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, prop, value) {
      if (prop === 'onmessage' && typeof value === 'function') {
        const handler = value as NonNullable<Transport['onmessage']>;
        const wrapped: Transport['onmessage'] = (message, extra) => {
          if ('method' in message && message.method === 'tools/call' && 'id' in message) {
            const params = (message.params ?? {}) as { name?: unknown; arguments?: { service?: unknown } };
            pending.set(message.id, {
              tool: typeof params.name === 'string' ? params.name : '(none)',
              service: typeof params.arguments?.service === 'string' ? params.arguments.service : 'mcp',
              identity: identityFromAuthInfo(extra?.authInfo),
              started: process.hrtime.bigint(),
            });
          }
          handler(message, extra);
        };
        return Reflect.set(target, prop, wrapped, target);
      }
      return Reflect.set(target, prop, value, target);
    },
  });
}
