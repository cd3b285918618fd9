/**
 * The agent side of a Streamable HTTP session with a fast path for its common
 * request: a POST of one JSON-RPC request on an initialized session, with the
 * headers an MCP client sends. That request is answered here, on node's `res`,
 * with the same SSE answer the SDK's transport gives (the same status, headers
 * and `event: message` framing, the answer and anything related to the request
 * on its stream, the stream ended after the answer), without the SDK's detour
 * through web `Request`/`ReadableStream`/`Response` objects and the hono
 * adapter, which was the largest single cost of the front's hop
 * (bench/PROFILE.md, "MCP front").
 *
 * Everything else (initialize, notifications, responses, batches, GET, DELETE,
 * any header or body the fast path does not recognise as plainly valid) goes to
 * the SDK's StreamableHTTPServerTransport, which answers as it always has,
 * errors included. The message is validated with the SDK's own schema and what
 * that returns is what the relay sees, as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

export interface FrontHttpTransport extends Transport {
  /** Answers one HTTP request of this session (fast path or the SDK's). */
  handleRequest(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Ends the SSE stream of one request (a cancel), as the SDK's transport does. */
  closeSSEStream(requestId: RequestId): void;
}

/** An open fast-path request: its response stream, or undefined once the agent went away or it was closed. */
interface FastStream {
  res: ServerResponse | undefined;
  /** Sends the headers alone if nothing was written by then. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * How long the stream's headers wait for its first message. A quick answer
 * goes out with its headers in one write (one TLS record, one syscall, one read
 * at the agent, instead of two each); a slow call's agent still gets the
 * headers (its fetch resolves) soon after the request, as from the SDK.
 */
const HEADERS_WAIT_MS = 20;

const sendHeaders = (stream: FastStream) => {
  stream.timer = undefined;
  if (stream.res && !stream.res.writableEnded) stream.res.flushHeaders();
};

const stopTimer = (stream: FastStream) => {
  if (stream.timer === undefined) return;
  clearTimeout(stream.timer);
  stream.timer = undefined;
};

const isResponse = (m: Record<string, unknown>) => ('result' in m || 'error' in m) && m.method === undefined;

/** The one request the fast path takes, validated by the SDK's schema; undefined sends the request to the SDK. */
function fastRequest(req: IncomingMessage, body: unknown, sessionId: string | undefined): (JSONRPCMessage & { id: RequestId }) | undefined {
  if (req.method !== 'POST' || sessionId === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const h = req.headers;
  if (h['mcp-session-id'] !== sessionId || h['content-type'] !== 'application/json') return undefined;
  const accept = h.accept;
  if (typeof accept !== 'string' || !accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  const version = h['mcp-protocol-version'];
  if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  const raw = body as Record<string, unknown>;
  if (typeof raw.method !== 'string' || raw.method === 'initialize' || (typeof raw.id !== 'string' && typeof raw.id !== 'number')) return undefined;
  const parsed = JSONRPCMessageSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const message = parsed.data as JSONRPCMessage & { id?: RequestId; method?: string };
  return typeof message.method === 'string' && message.id !== undefined ? (message as JSONRPCMessage & { id: RequestId }) : undefined;
}

export function createFrontHttpTransport(sdk: StreamableHTTPServerTransport): FrontHttpTransport {
  const fast = new Map<RequestId, FastStream>();
  let closed = false;
  let onclose: (() => void) | undefined;
  // However the session ends (close(), or the agent's DELETE through the SDK), the fast streams end with it.
  sdk.onclose = () => {
    closed = true;
    for (const id of [...fast.keys()]) end(id);
    onclose?.();
  };

  const end = (id: RequestId) => {
    const stream = fast.get(id);
    if (!stream) return;
    fast.delete(id);
    stopTimer(stream);
    const res = stream.res;
    stream.res = undefined;
    if (res && !res.writableEnded) res.end();
  };

  const self: FrontHttpTransport = {
    get sessionId() {
      return sdk.sessionId;
    },
    get onmessage() {
      return sdk.onmessage;
    },
    set onmessage(handler) {
      sdk.onmessage = handler;
    },
    get onclose() {
      return onclose;
    },
    set onclose(handler) {
      onclose = handler;
    },
    get onerror() {
      return sdk.onerror;
    },
    set onerror(handler) {
      sdk.onerror = handler;
    },
    start: () => sdk.start(),
    async close() {
      closed = true;
      for (const id of [...fast.keys()]) end(id);
      await sdk.close();
    },
    async send(message: JSONRPCMessage, options?: TransportSendOptions) {
      const m = message as Record<string, unknown>;
      const response = isResponse(m);
      const id = (response ? m.id : options?.relatedRequestId) as RequestId | undefined;
      const stream = id !== undefined ? fast.get(id) : undefined;
      if (!stream) return sdk.send(message, options);
      if (!stream.res) {
        // The agent went away or the stream was closed (a cancel): as the SDK, an answer has nowhere to go.
        if (response) fast.delete(id!);
        if (response) throw new Error(`No connection established for request ID: ${String(id)}`);
        return;
      }
      stopTimer(stream);
      stream.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      if (response) end(id!);
    },
    closeSSEStream(requestId) {
      const stream = fast.get(requestId);
      if (!stream) return sdk.closeSSEStream(requestId);
      stopTimer(stream);
      const res = stream.res;
      stream.res = undefined;
      if (res && !res.writableEnded) res.end();
    },
    async handleRequest(req, res, parsedBody) {
      const message = fastRequest(req, parsedBody, sdk.sessionId);
      if (closed || !message || fast.has(message.id)) return sdk.handleRequest(req, res, parsedBody);
      const stream: FastStream = { res, timer: undefined };
      fast.set(message.id, stream);
      res.once('close', () => {
        stopTimer(stream);
        if (stream.res === res) stream.res = undefined;
      });
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'mcp-session-id': sdk.sessionId!,
      });
      stream.timer = setTimeout(sendHeaders, HEADERS_WAIT_MS, stream);
      sdk.onmessage?.(message);
    },
  };
  return self;
}
