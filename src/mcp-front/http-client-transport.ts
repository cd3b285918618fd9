/**
 * An MCP client transport to an HTTP endpoint that speaks Streamable HTTP or,
 * failing that, legacy HTTP+SSE: the first message (initialize) is POSTed the
 * Streamable HTTP way; a 400, 404 or 405 answer means an SSE-only server, so it
 * opens the SSE stream at the same URL and goes on there. Other failures (a
 * refused certificate, 401/403) are not a reason to fall back and are thrown.
 * Used by the front to reach `backend.url` and by `tlsmcp connect`.
 */
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { XFCC_HEADER } from '../core/xfcc.js';
import type { Logger } from '../logger.js';
import type { Dispatcher } from 'undici';
import { createBackendStreamable } from './backend-streamable.js';
import type { JSONRPCMessage } from './jsonrpc.js';

export type HttpTransportKind = 'auto' | 'streamable-http' | 'sse';

export interface HttpClientTransportOptions {
  url: URL;
  fetch?: FetchLike | undefined;
  kind?: HttpTransportKind | undefined;
  logger: Logger;
  /**
   * The verified client identity as an X-Forwarded-Client-Cert value
   * (src/core/xfcc.ts), sent on every request to the backend. Any other value
   * of that header is replaced, never passed on.
   */
  xfcc?: string | undefined;
  /**
   * A keep-alive pool for the URL's origin (./backend-exchange.ts): with it, a
   * plain `http:` URL is spoken to in Streamable HTTP by ./backend-streamable.ts
   * instead of the SDK's transport over `fetch` (the legacy SSE fallback still
   * uses `fetch`).
   */
  pool?: Dispatcher | undefined;
}

/** `fetch` with X-Forwarded-Client-Cert set to `xfcc` (whatever the caller's headers said). */
function withXfcc(base: FetchLike, xfcc: string): FetchLike {
  return (url, init) => {
    // The SDK builds a fresh Headers per request: set ours on it (set replaces every value) rather than copy it.
    if (init?.headers instanceof Headers) {
      init.headers.set(XFCC_HEADER, xfcc);
      return base(url, init);
    }
    const headers = new Headers(init?.headers);
    headers.set(XFCC_HEADER, xfcc);
    return base(url, { ...init, headers });
  };
}

/**
 * `fetch` with each request on an AbortSignal of its own, tied to the caller's.
 * The SDK passes its transport's one signal to every request, and undici adds a
 * listener to it per request, dropped only when that request is garbage
 * collected; adding one scans the listeners already there, so every call paid
 * for the calls before it (measured: 60-80 µs CPU per request more than a
 * signal of its own). `AbortSignal.any` ties the new signal to the old one
 * weakly, and aborting the transport still aborts every request.
 */
function withOwnSignal(base: FetchLike): FetchLike {
  return (url, init) => (init?.signal ? base(url, { ...init, signal: AbortSignal.any([init.signal]) }) : base(url, init));
}

export interface HttpClientTransport extends Transport {
  /** Which protocol is in use once the first message went through. */
  readonly kind: 'streamable-http' | 'sse' | undefined;
}

const FALLBACK_STATUSES = new Set([400, 404, 405]);

/** A Streamable HTTP answer that says "not a Streamable HTTP endpoint". */
export function isNotStreamableEndpoint(err: unknown): boolean {
  return err instanceof StreamableHTTPError && err.code !== undefined && FALLBACK_STATUSES.has(err.code);
}

export function createHttpClientTransport(given: HttpClientTransportOptions): HttpClientTransport {
  const base = withOwnSignal(given.fetch ?? fetch);
  const options = { ...given, fetch: given.xfcc === undefined ? base : withXfcc(base, given.xfcc) };
  const wanted = options.kind ?? 'auto';
  let inner: (Transport & { terminateSession?: () => Promise<void> }) | undefined;
  let kind: HttpClientTransport['kind'];
  let protocolVersion: string | undefined;
  let closed = false;

  const wire = (t: Transport) => {
    t.onmessage = (message) => self.onmessage?.(message);
    t.onerror = (err) => self.onerror?.(err);
    t.onclose = () => {
      if (t === inner) self.onclose?.();
    };
  };

  const openSse = async () => {
    const t = new SSEClientTransport(options.url, {
      ...(options.fetch ? { fetch: options.fetch, eventSourceInit: { fetch: options.fetch } } : {}),
    });
    wire(t);
    inner = t;
    kind = 'sse';
    await t.start();
    if (protocolVersion) t.setProtocolVersion(protocolVersion);
  };

  const openStreamable = async () => {
    const t =
      options.pool && options.url.protocol === 'http:'
        ? createBackendStreamable({ url: options.url, pool: options.pool, headers: options.xfcc === undefined ? undefined : { [XFCC_HEADER]: options.xfcc } })
        : new StreamableHTTPClientTransport(options.url, options.fetch ? { fetch: options.fetch } : {});
    wire(t);
    inner = t;
    kind = 'streamable-http';
    await t.start();
  };

  const self: HttpClientTransport = {
    get kind() {
      return kind;
    },
    get sessionId() {
      return inner?.sessionId;
    },
    async start() {
      if (wanted === 'sse') await openSse();
      else await openStreamable();
    },
    async send(message: JSONRPCMessage, sendOptions?: TransportSendOptions) {
      if (closed) throw new Error('transport closed');
      if (!inner) throw new Error('transport not started');
      const probing = wanted === 'auto' && kind === 'streamable-http' && inner.sessionId === undefined;
      try {
        await inner.send(message, sendOptions);
      } catch (err) {
        if (!probing || !isNotStreamableEndpoint(err)) throw err;
        options.logger.info({ url: options.url.href, status: (err as StreamableHTTPError).code }, 'no Streamable HTTP; falling back to SSE');
        const old = inner;
        old.onclose = undefined;
        old.onerror = undefined;
        await old.close().catch(() => undefined);
        await openSse();
        await inner.send(message, sendOptions);
      }
    },
    setProtocolVersion(version) {
      protocolVersion = version;
      inner?.setProtocolVersion?.(version);
    },
    async close() {
      if (closed) return;
      closed = true;
      const t = inner;
      if (!t) return self.onclose?.();
      if (kind === 'streamable-http' && t.sessionId) {
        // Tell the server the session is over so it can free what it holds for it.
        await t.terminateSession?.().catch(() => undefined);
      }
      await t.close();
    },
  };
  return self;
}
