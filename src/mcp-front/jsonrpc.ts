/**
 * Cheap structural views of JSON-RPC messages for the relay. The SDK transports
 * have already validated every message; here we only need to tell requests,
 * notifications and responses apart without re-running zod on each one.
 */
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

export type { JSONRPCMessage, RequestId };

export interface RequestView {
  id: RequestId;
  method: string;
  params: Record<string, unknown> | undefined;
}

export interface ResponseView {
  id: RequestId;
  result: Record<string, unknown> | undefined;
  error: { code: number; message: string } | undefined;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

export function asRequest(message: JSONRPCMessage): RequestView | undefined {
  const m = message as Record<string, unknown>;
  if (typeof m.method !== 'string' || m.id === undefined || m.id === null) return undefined;
  return { id: m.id as RequestId, method: m.method, params: record(m.params) };
}

export function asNotification(message: JSONRPCMessage): { method: string; params: Record<string, unknown> | undefined } | undefined {
  const m = message as Record<string, unknown>;
  if (typeof m.method !== 'string' || m.id !== undefined) return undefined;
  return { method: m.method, params: record(m.params) };
}

export function asResponse(message: JSONRPCMessage): ResponseView | undefined {
  const m = message as Record<string, unknown>;
  if (typeof m.method === 'string' || m.id === undefined || m.id === null) return undefined;
  if (!('result' in m) && !('error' in m)) return undefined;
  const error = record(m.error);
  return {
    id: m.id as RequestId,
    result: record(m.result),
    error: error ? { code: Number(error.code), message: String(error.message) } : undefined,
  };
}

/** JSON-RPC error codes the front answers with. -32001..-32099 are implementation-defined server errors. */
export const RPC_ERRORS = {
  /** The agent's certificate lacks the permission (authorization rules). */
  forbidden: -32003,
  /** The backend could not be reached, or went away before answering. */
  backendUnavailable: -32002,
  /** A pinned tool, prompt or resource template changed and is held back (pinning.mode: block). */
  definitionChanged: -32004,
  /** The agent's certificate is over its rate_limit; data.retry_after_ms says when to retry. */
  rateLimited: -32005,
  internal: -32603,
} as const;

export function errorResponse(id: RequestId, code: number, message: string, data?: Record<string, unknown>): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } } as JSONRPCMessage;
}

/** `progressToken` from a request's `_meta`, when the client asked for progress. */
export function progressTokenOf(params: Record<string, unknown> | undefined): string | number | undefined {
  const meta = record(params?._meta);
  const token = meta?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}
