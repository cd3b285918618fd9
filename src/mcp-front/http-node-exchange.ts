/**
 * One HTTP exchange with a plain-http MCP backend over node:http, as the SDK's
 * client transport makes it through `fetch`: redirects are followed only within
 * the request's origin (307/308 for a POST, any redirect for a GET or DELETE; at
 * most five), a socket failure is fetch's `TypeError('fetch failed')` with the
 * socket error as its cause, and a redirect that is not followed is described in
 * the SDK's words. Used by ./http-node-transport.ts.
 */
import { request, type Agent, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

export interface Exchange {
  res: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: URL;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function redirectTarget(res: IncomingMessage, from: URL): URL | undefined {
  const location = REDIRECT_STATUSES.has(res.statusCode ?? 0) ? res.headers.location : undefined;
  try {
    return location ? new URL(location, from) : undefined;
  } catch {
    return undefined;
  }
}

const sameOrigin = (from: URL, to: URL) =>
  (from.protocol === to.protocol && from.hostname === to.hostname && from.port === to.port) ||
  (from.hostname === to.hostname && from.protocol === 'http:' && from.port === '' && to.protocol === 'https:' && to.port === '');

/** The redirect in `res` when it is to be followed (within the origin, keeping the method). */
function followable(res: IncomingMessage, from: URL, method: string): URL | undefined {
  const target = redirectTarget(res, from);
  const keepsMethod = res.statusCode === 307 || res.statusCode === 308 || method !== 'POST';
  if (!target || !keepsMethod) return undefined;
  const addsUserinfo = (target.username || target.password) && (target.username !== from.username || target.password !== from.password);
  return addsUserinfo || !sameOrigin(from, target) || target.protocol !== 'http:' ? undefined : target;
}

/** The SDK's words for a redirect answer that was not followed; undefined for any other answer. */
export function unfollowedRedirect(res: IncomingMessage, from: URL): string | undefined {
  const target = redirectTarget(res, from);
  if (!target) return undefined;
  target.username = target.password = target.search = target.hash = '';
  return `Redirect to ${target.href} not followed (redirectPolicy: 'same-origin')`;
}

export interface ExchangeOptions {
  agent: Agent;
  /** Live requests, so that closing the transport can end them. */
  active: Set<ClientRequest>;
  /** Whether the owner closed: a request ended by that fails with an AbortError rather than "fetch failed". */
  closed: () => boolean;
}

function once(url: URL, method: string, headers: OutgoingHttpHeaders, body: string | undefined, o: ExchangeOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: o.agent }, resolve);
    o.active.add(req);
    req.once('close', () => o.active.delete(req));
    req.once('error', (err) => reject(o.closed() ? new DOMException('This operation was aborted', 'AbortError') : new TypeError('fetch failed', { cause: err })));
    req.end(body);
  });
}

/** Sends one request, following redirects within the origin; resolves when the answer's headers are in. */
export async function exchange(url: URL, method: string, headers: OutgoingHttpHeaders, body: string | undefined, o: ExchangeOptions): Promise<Exchange> {
  let at = url;
  for (let followed = 0; ; followed += 1) {
    const res = await once(at, method, headers, body, o);
    const target = followed < MAX_REDIRECTS ? followable(res, at, method) : undefined;
    if (!target) return { res, url: at };
    res.resume();
    at = target;
  }
}

/** The whole answer body as text. */
export function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}
