/**
 * One id space per backend incarnation for server-to-client requests
 * (sampling, elicitation, roots/list, ping). A restarted backend numbers its
 * requests from 1 again, so a client's late answer to the dead backend's request 1
 * must never reach the new backend as the answer to its own request 1. The first
 * incarnation's ids pass through unchanged (a direct connection looks the same);
 * later ones are prefixed. When an incarnation dies its open requests are
 * announced to the client as cancelled, and answers to them are dropped.
 */
import type { JSONRPCMessage, RequestId } from './jsonrpc.js';

/** Dead requests remembered so their late answers are recognised, at most. */
const MAX_DEAD = 1_000;

const keyOf = (id: RequestId) => `${typeof id}:${String(id)}`;

export interface ServerRequestIds {
  /** A request from the backend: the message to pass to the client (id rewritten when needed). */
  outbound(message: JSONRPCMessage & { id: RequestId }): JSONRPCMessage;
  /**
   * A response from the client: the message for the current backend (original id
   * restored), or undefined when it answers a request of a backend that is gone.
   */
  inbound(message: JSONRPCMessage & { id: RequestId }): JSONRPCMessage | undefined;
  /** The backend died: its open requests, as `notifications/cancelled` for the client. */
  retire(reason: string): JSONRPCMessage[];
}

export function createServerRequestIds(): ServerRequestIds {
  let incarnation = 0;
  const open = new Map<string, { id: RequestId; outward: RequestId }>();
  const dead = new Set<string>();

  return {
    outbound(message) {
      const outward = incarnation === 0 ? message.id : `tlsmcp-b${incarnation}-${String(message.id)}`;
      open.set(keyOf(outward), { id: message.id, outward });
      dead.delete(keyOf(outward));
      return outward === message.id ? message : ({ ...message, id: outward } as JSONRPCMessage);
    },
    inbound(message) {
      const key = keyOf(message.id);
      if (dead.has(key)) {
        dead.delete(key);
        return undefined;
      }
      const entry = open.get(key);
      if (!entry) return message;
      open.delete(key);
      return entry.id === message.id ? message : ({ ...message, id: entry.id } as JSONRPCMessage);
    },
    retire(reason) {
      incarnation += 1;
      const cancelled: JSONRPCMessage[] = [];
      for (const [key, entry] of open) {
        dead.add(key);
        cancelled.push({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: entry.outward, reason } } as JSONRPCMessage);
      }
      open.clear();
      while (dead.size > MAX_DEAD) dead.delete(dead.values().next().value as string);
      return cancelled;
    },
  };
}
