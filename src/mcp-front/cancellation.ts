/**
 * What the front does when the agent cancels a request (`notifications/cancelled`):
 * the request stops being pending (so later server-initiated messages never ride
 * on its closed stream), its HTTP stream is ended, and an answer the backend sends
 * anyway is dropped, as the MCP spec asks of a cancelled request.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { asNotification, type JSONRPCMessage, type RequestId } from './jsonrpc.js';

/** Cancelled request ids remembered for late answers, at most. */
const MAX_REMEMBERED = 1_000;

/** The request a `notifications/cancelled` names, if `message` is one. */
export function cancelledRequestId(message: JSONRPCMessage): RequestId | undefined {
  const note = asNotification(message);
  if (note?.method !== 'notifications/cancelled') return undefined;
  const id = note.params?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

export function cancelledReason(message: JSONRPCMessage): string {
  const reason = asNotification(message)?.params?.reason;
  return typeof reason === 'string' && reason !== '' ? `cancelled by the client: ${reason}` : 'cancelled by the client';
}

/** Ends the request's own stream when the agent transport has one (Streamable HTTP POST streams). */
export function closeRequestStream(front: Transport, id: RequestId): void {
  (front as { closeSSEStream?: (id: RequestId) => void }).closeSSEStream?.(id);
}

export interface CancelledSet {
  add(key: string): void;
  /** True (once) when `key` was cancelled: its answer is to be dropped. */
  take(key: string): boolean;
  clear(): void;
}

export function createCancelledSet(): CancelledSet {
  const keys = new Set<string>();
  return {
    add(key) {
      keys.add(key);
      if (keys.size > MAX_REMEMBERED) keys.delete(keys.values().next().value as string);
    },
    take: (key) => keys.delete(key),
    clear: () => keys.clear(),
  };
}
