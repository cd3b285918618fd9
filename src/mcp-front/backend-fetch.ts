/**
 * The `fetch` the MCP front's HTTP backends are reached with: node:http with a
 * keep-alive agent under the small part of `fetch` the SDK's client transports
 * use (a method, headers, a string body, a signal; a Response with a status,
 * headers and a streamed body). undici's `fetch` runs the whole WHATWG fetch
 * algorithm per request (Request objects, a fetch controller, header guards);
 * on the front's hop to a loopback backend that cost about 150 µs of CPU per
 * request more than node:http (bench/PROFILE.md, "MCP front").
 *
 * Only plain `http:` backends, with a string or no body, go this way; anything
 * else (https, a streamed body) is passed to `fallback`, so nothing changes for
 * it. Failures look like fetch's: a TypeError "fetch failed" whose `cause` is
 * the socket error, the signal's reason when aborted.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface BackendFetch {
  fetch: FetchLike;
  /** Closes the idle keep-alive connections. */
  close(): void;
}

/** Statuses whose Response may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

function outgoingHeaders(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const given = init?.headers;
  if (!given) return out;
  const headers = given instanceof Headers ? given : new Headers(given);
  for (const [name, value] of headers) out[name] = value;
  return out;
}

export function createBackendFetch(fallback: FetchLike = fetch): BackendFetch {
  const agent = new Agent({ keepAlive: true });
  const nodeFetch: FetchLike = (input, init) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const body = init?.body;
    if (url.protocol !== 'http:' || (body !== undefined && body !== null && typeof body !== 'string')) return fallback(input, init);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let response: IncomingMessage | undefined;
      const onAbort = () => {
        const reason: unknown = signal?.reason;
        const err = reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
        req.destroy(err);
        response?.destroy(err);
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      const req = request(url, { method: init?.method ?? 'GET', headers: outgoingHeaders(init), agent }, (res) => {
        response = res;
        settled = true;
        const status = res.statusCode ?? 502;
        const done = () => signal?.removeEventListener('abort', onAbort);
        res.once('close', done);
        const web = NULL_BODY.has(status) || init?.method === 'HEAD' ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        if (web === null) res.resume();
        resolve(new Response(web, { status, statusText: res.statusMessage ?? '', headers: headersOf(res) }));
      });
      req.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        reject(new TypeError('fetch failed', { cause: err }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body ?? undefined);
    });
  };
  return { fetch: nodeFetch, close: () => agent.destroy() };
}
