/**
 * The MCP front's Streamable HTTP client transport to a plain-http backend,
 * on undici's dispatcher (./backend-exchange.ts): the SDK's StreamableHTTPClientTransport reads every answer
 * through web streams (a Response, TextDecoderStream, EventSourceParserStream),
 * which was the largest part of the backend hop left (bench/PROFILE.md, "MCP
 * front"). This one parses the SSE or JSON answer straight off the socket's chunks
 * with the same SSE parser the SDK uses (eventsource-parser) and the SDK's
 * message schema, and keeps the SDK transport's behaviour wherever the front
 * depends on it:
 *  - errors: a non-2xx answer is the SDK's StreamableHTTPError (a 404 is how
 *    ./link-errors.ts sees a lost session; 400/404/405 before a session make
 *    ./http-client-transport.ts fall back to legacy SSE), reported to onerror and
 *    thrown; a socket failure is fetch's TypeError('fetch failed');
 *  - streams: a stream that breaks is "SSE stream disconnected: …" on onerror
 *    (the resilient transport reconnects on it); the standalone GET stream
 *    (opened after `notifications/initialized`, a 405 meaning none) and a POST
 *    stream that sent an event id reconnect with Last-Event-ID, with the SDK's
 *    backoff, and "Maximum reconnection attempts (2) exceeded." when they cannot;
 *  - a message that fails the schema is reported to onerror and not delivered;
 *  - close() ends every request and stream; terminateSession() sends DELETE.
 * No OAuth (the front's backends are on loopback, reached without tokens).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mediaTypeEssence } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializedNotification, isJSONRPCRequest, isJSONRPCResultResponse, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Dispatcher } from 'undici';
import { exchange, readText, unfollowedRedirect, type Answer, type ExchangeOptions } from './backend-exchange.js';
import type { JSONRPCMessage, RequestId } from './jsonrpc.js';

export interface BackendStreamableOptions {
  /** An `http:` URL. */
  url: URL;
  /** The keep-alive pool for the URL's origin (./backend-exchange.ts createBackendPool, one per service's backend). */
  pool: Dispatcher;
  /** Sent on every request (X-Forwarded-Client-Cert). */
  headers?: Record<string, string> | undefined;
  /** The SDK's defaults: 1 s, ×1.5, at most 30 s, 2 attempts. */
  reconnection?: { initialDelayMs: number; maxDelayMs: number; growFactor: number; maxRetries: number } | undefined;
}

export interface BackendStreamable extends Transport {
  /** DELETE the session at the server (a 405 means the server keeps no sessions to end). */
  terminateSession(): Promise<void>;
}

interface StreamOptions {
  resumptionToken?: string | undefined;
  onresumptiontoken?: ((token: string) => void) | undefined;
  replayMessageId?: RequestId | undefined;
}

const DEFAULT_RECONNECTION = { initialDelayMs: 1_000, maxDelayMs: 30_000, growFactor: 1.5, maxRetries: 2 };

const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300;

export function createBackendStreamable(options: BackendStreamableOptions): BackendStreamable {
  const { url } = options;
  const reconnection = options.reconnection ?? DEFAULT_RECONNECTION;
  const active = new Set<Dispatcher.DispatchController>();
  const timers = new Set<NodeJS.Timeout>();
  let started = false;
  let closed = false;
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let serverRetryMs: number | undefined;
  const io: ExchangeOptions = { pool: options.pool, active, closed: () => closed };

  const report = (err: unknown) => self.onerror?.(err instanceof Error ? err : new Error(String(err)));

  const commonHeaders = (): OutgoingHttpHeaders => {
    const headers: OutgoingHttpHeaders = { ...options.headers };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
    return headers;
  };

  /** One JSON-RPC message from an SSE event or a JSON body, validated as the SDK does. */
  const deliver = (raw: unknown, replayMessageId?: RequestId): boolean => {
    const message = JSONRPCMessageSchema.parse(raw);
    const isResult = isJSONRPCResultResponse(message);
    if (isResult && replayMessageId !== undefined) message.id = replayMessageId;
    self.onmessage?.(message);
    return isResult;
  };

  const scheduleReconnection = (stream: StreamOptions, attempt: number) => {
    if (attempt >= reconnection.maxRetries) {
      report(new Error(`Maximum reconnection attempts (${reconnection.maxRetries}) exceeded.`));
      return;
    }
    const delay = serverRetryMs ?? Math.min(reconnection.initialDelayMs * reconnection.growFactor ** attempt, reconnection.maxDelayMs);
    const timer = setTimeout(() => {
      timers.delete(timer);
      openStream(stream).catch((err: unknown) => {
        report(new Error(`Failed to reconnect SSE stream: ${err instanceof Error ? err.message : String(err)}`));
        scheduleReconnection(stream, attempt + 1);
      });
    }, delay);
    timers.add(timer);
  };

  /** Reads an SSE answer; `reconnectable` for the standalone GET stream. */
  const readStream = (answer: Answer, stream: StreamOptions, reconnectable: boolean) => {
    const decoder = new StringDecoder('utf8');
    let lastEventId: string | undefined;
    let primed = false;
    let answered = false;
    let finished = false;
    const parser = createParser({
      onRetry: (ms) => (serverRetryMs = ms),
      onEvent: (event) => {
        if (event.id) {
          lastEventId = event.id;
          primed = true;
          stream.onresumptiontoken?.(event.id);
        }
        if (!event.data || (event.event && event.event !== 'message')) return;
        try {
          if (deliver(JSON.parse(event.data), stream.replayMessageId)) answered = true;
        } catch (err) {
          report(err);
        }
      },
    });
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      if (closed) return;
      if (err) report(new Error(`SSE stream disconnected: ${String(err)}`));
      if ((reconnectable || primed) && !answered) {
        scheduleReconnection({ resumptionToken: lastEventId, onresumptiontoken: stream.onresumptiontoken, replayMessageId: stream.replayMessageId }, 0);
      }
    };
    answer.read({ data: (chunk) => !finished && parser.feed(decoder.write(chunk)), end: () => finish(), error: finish });
  };

  /** Opens the standalone GET stream (or resumes one with Last-Event-ID). */
  const openStream = async (stream: StreamOptions) => {
    try {
      const headers = commonHeaders();
      headers.accept = 'text/event-stream';
      if (stream.resumptionToken) headers['last-event-id'] = stream.resumptionToken;
      const { answer, url: at } = await exchange(url, 'GET', headers, undefined, io);
      if (!ok(answer)) {
        answer.discard();
        if (answer.status === 405) return;
        throw new StreamableHTTPError(answer.status, `Failed to open SSE stream: ${unfollowedRedirect(answer, at) ?? answer.statusText}`);
      }
      readStream(answer, stream, true);
    } catch (err) {
      report(err);
      throw err;
    }
  };

  const post = async (message: JSONRPCMessage | JSONRPCMessage[], sendOptions?: TransportSendOptions) => {
    const headers = commonHeaders();
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json, text/event-stream';
    const { answer, url: at } = await exchange(url, 'POST', headers, JSON.stringify(message), io);
    const given = answer.headers['mcp-session-id'];
    if (typeof given === 'string' && given) sessionId = given;
    if (!ok(answer)) {
      const text = await readText(answer).catch(() => null);
      throw new StreamableHTTPError(answer.status, `Error POSTing to endpoint: ${unfollowedRedirect(answer, at) ?? text}`);
    }
    if (answer.status === 202) {
      answer.discard();
      // The session is ready: open the stream for server-initiated messages, if the server offers one.
      if (!Array.isArray(message) && isInitializedNotification(message)) openStream({}).catch(report);
      return;
    }
    const hasRequests = (Array.isArray(message) ? message : [message]).some((m) => 'method' in m && 'id' in m && m.id !== undefined);
    if (!hasRequests) {
      answer.discard();
      return;
    }
    const type = answer.headers['content-type'];
    const media = mediaTypeEssence(typeof type === 'string' ? type : undefined);
    if (media === 'text/event-stream') return readStream(answer, { onresumptiontoken: sendOptions?.onresumptiontoken }, false);
    if (media === 'application/json') {
      const data: unknown = JSON.parse(await readText(answer));
      const messages = Array.isArray(data) ? data.map((m) => JSONRPCMessageSchema.parse(m)) : [JSONRPCMessageSchema.parse(data)];
      for (const m of messages) self.onmessage?.(m);
      return;
    }
    answer.discard();
    throw new StreamableHTTPError(-1, `Unexpected content type: ${String(type)}`);
  };

  const self: BackendStreamable = {
    get sessionId() {
      return sessionId;
    },
    async start() {
      if (started) throw new Error('Streamable HTTP transport already started');
      started = true;
    },
    async send(message, sendOptions) {
      try {
        if (sendOptions?.resumptionToken) {
          const replayMessageId = isJSONRPCRequest(message) ? message.id : undefined;
          openStream({ resumptionToken: sendOptions.resumptionToken, replayMessageId }).catch(report);
          return;
        }
        await post(message, sendOptions);
      } catch (err) {
        report(err);
        throw err;
      }
    },
    setProtocolVersion(version) {
      protocolVersion = version;
    },
    async terminateSession() {
      if (!sessionId) return;
      try {
        const { answer, url: at } = await exchange(url, 'DELETE', commonHeaders(), undefined, io);
        answer.discard();
        if (!ok(answer) && answer.status !== 405) {
          throw new StreamableHTTPError(answer.status, `Failed to terminate session: ${unfollowedRedirect(answer, at) ?? answer.statusText}`);
        }
        sessionId = undefined;
      } catch (err) {
        report(err);
        throw err;
      }
    },
    async close() {
      if (!closed) {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const controller of [...active]) controller.abort(new Error('transport closed'));
      }
      self.onclose?.();
    },
  };
  return self;
}
