/**
 * The per-session state an MCP server keeps that a restarted backend would lose:
 * the log level the client set (`logging/setLevel`) and its resource
 * subscriptions. Recorded from what the client sends; after a restart the front
 * sends the same requests again under ids of its own and swallows their answers.
 */
import { asRequest, type JSONRPCMessage, type RequestId } from './jsonrpc.js';

export interface SessionState {
  /** Notes a message the client sent to the backend. */
  record(message: JSONRPCMessage): void;
  /** Requests that restore the state on a fresh backend; `restore` numbers their ids. */
  replay(restore: number): JSONRPCMessage[];
  /** Whether a backend response answers one of the replayed requests (and so is not the client's). */
  isReplayAnswer(id: RequestId): boolean;
}

const PREFIX = 'tlsmcp-restore-';

export function createSessionState(): SessionState {
  let logLevel: unknown;
  const subscriptions = new Set<string>();
  return {
    record(message) {
      const request = asRequest(message);
      if (!request) return;
      const uri = request.params?.uri;
      if (request.method === 'logging/setLevel') logLevel = request.params?.level;
      else if (request.method === 'resources/subscribe' && typeof uri === 'string') subscriptions.add(uri);
      else if (request.method === 'resources/unsubscribe' && typeof uri === 'string') subscriptions.delete(uri);
    },
    replay(restore) {
      const out: JSONRPCMessage[] = [];
      let n = 0;
      const id = () => `${PREFIX}${restore}-${(n += 1)}`;
      if (logLevel !== undefined) out.push({ jsonrpc: '2.0', id: id(), method: 'logging/setLevel', params: { level: logLevel } } as JSONRPCMessage);
      for (const uri of subscriptions) out.push({ jsonrpc: '2.0', id: id(), method: 'resources/subscribe', params: { uri } } as JSONRPCMessage);
      return out;
    },
    isReplayAnswer: (id) => typeof id === 'string' && id.startsWith(PREFIX),
  };
}
