/**
 * The MCP front's audit record: one `mcp_request` event per JSON-RPC request
 * that passed through (or was refused), naming the agent by certificate, the
 * method, the tool or resource, the outcome and the latency. Arguments are
 * recorded only when the service sets `audit.arguments: true`: they may hold
 * secrets.
 */
import type { AuditEvent } from '../state/audit-log.js';
import type { PeerIdentity } from './peer-identity.js';
import type { RequestView } from './jsonrpc.js';

export type Outcome = 'ok' | 'error' | 'denied' | 'rate_limited' | 'cancelled';

export interface AuditContext {
  service: string;
  session: string;
  transport: 'streamable-http' | 'sse' | 'stdio';
  identity: PeerIdentity;
  auditArguments: boolean;
}

/** What a request is about: the tool name or resource URI, and its arguments. */
export function requestTarget(request: RequestView): { tool?: string; uri?: string; arguments?: unknown } {
  const p = request.params;
  if (request.method === 'tools/call') {
    return { tool: typeof p?.name === 'string' ? p.name : '', arguments: p?.arguments };
  }
  if (request.method === 'resources/read' || request.method === 'resources/subscribe' || request.method === 'resources/unsubscribe') {
    return { uri: typeof p?.uri === 'string' ? p.uri : '' };
  }
  if (request.method === 'prompts/get') return { arguments: p?.arguments };
  return {};
}

export interface RequestAuditInput {
  request: RequestView;
  direction: 'client_to_server' | 'server_to_client';
  outcome: Outcome;
  latencyMs: number;
  /** Error message or denial reason. */
  reason?: string | undefined;
  time: Date;
}

export function mcpRequestEvent(ctx: AuditContext, input: RequestAuditInput): AuditEvent {
  const target = requestTarget(input.request);
  const id = ctx.identity;
  const event: AuditEvent = {
    time: input.time.toISOString(),
    kind: 'mcp_request',
    service: ctx.service,
    result: input.outcome,
    outcome: input.outcome,
    ...(id.cn !== undefined ? { peer_cn: id.cn } : {}),
    ...(id.serial !== undefined ? { serial: id.serial } : {}),
    sans: { dns: id.sans.dns, uri: id.sans.uri, ip: id.sans.ip },
    session: ctx.session,
    transport: ctx.transport,
    direction: input.direction,
    method: input.request.method,
    ...(target.tool !== undefined ? { tool: target.tool } : {}),
    ...(target.uri !== undefined ? { uri: target.uri } : {}),
    latency_ms: Math.round(input.latencyMs * 1000) / 1000,
  };
  if (input.reason !== undefined) event.reason = input.reason;
  if (ctx.auditArguments && target.arguments !== undefined) event.arguments = target.arguments;
  return event;
}

/** The end of a front session: a close (by the agent, idle expiry, or its backend failing for good), never a refused connection. */
export function sessionClosedEvent(ctx: Omit<AuditContext, 'auditArguments'>, time: Date, backendFailure?: string): AuditEvent {
  const id = ctx.identity;
  return {
    time: time.toISOString(),
    kind: 'connection',
    service: ctx.service,
    result: 'closed',
    ...(id.cn !== undefined ? { peer_cn: id.cn } : {}),
    ...(id.serial !== undefined ? { serial: id.serial } : {}),
    session: ctx.session,
    transport: ctx.transport,
    ...(backendFailure !== undefined ? { reason: `backend failed: ${backendFailure}` } : {}),
  };
}
