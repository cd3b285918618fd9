/**
 * The front's MCP endpoints. `/mcp` is Streamable HTTP: an `initialize` POST
 * without a session opens a session (a backend and a relay), later requests carry
 * `Mcp-Session-Id`. `/sse` (GET) and `/messages` (POST) are the legacy HTTP+SSE
 * transport. Either way a session is bound to the certificate that opened it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../logger.js';
import { createFrontHttpTransport, type FrontHttpTransport } from './fast-post.js';
import { preReadJsonBody, readJsonBody, replyError } from './http-replies.js';
import type { PeerIdentity } from './peer-identity.js';
import { sameOwner, type FrontSession, type SessionRegistry } from './sessions.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface RouteContext {
  sessions: SessionRegistry;
  logger: Logger;
  /** Starts a backend and a relay for `transport`, registers the session; throws if the backend cannot start. */
  openSession(kind: FrontSession['kind'], id: string, transport: Transport, identity: PeerIdentity): Promise<FrontSession>;
  /** Why this agent may not open another session now (too many open), if so. */
  refuseNewSession(identity: PeerIdentity): string | undefined;
  /** Marks a session busy while a request (or stream) on it is open. */
  track(session: FrontSession, res: ServerResponse): void;
}

const isInitialize = (message: unknown) =>
  typeof message === 'object' && message !== null && (message as { method?: unknown }).method === 'initialize';

const backendFailure = (res: ServerResponse, err: unknown) =>
  replyError(res, 502, `MCP backend unavailable: ${err instanceof Error ? err.message : String(err)}`, { code: -32002 });

function ownedSession(ctx: RouteContext, res: ServerResponse, id: string, kind: FrontSession['kind'], identity: PeerIdentity): FrontSession | undefined {
  const session = ctx.sessions.get(id);
  const failure = session ? undefined : ctx.sessions.endReason(id, identity);
  if (failure !== undefined) {
    // Still a 404 so clients start a new session, but saying why this one ended.
    replyError(res, 404, `Session ended: MCP backend unavailable: ${failure}; start a new session`, { code: -32002 });
    return undefined;
  }
  if (!session || session.kind !== kind) {
    replyError(res, 404, `Session not found: ${id} (expired, closed or revoked); start a new session`, { code: -32001 });
    return undefined;
  }
  if (!sameOwner(session, identity)) {
    replyError(res, 403, 'Forbidden: this session belongs to another client certificate', { code: -32003 });
    return undefined;
  }
  return session;
}

/**
 * Tells the relay when the agent's GET stream (for server-initiated messages) is
 * really open: the SDK transport registers it just before the SSE headers go out,
 * and keeps no public flag for it.
 */
function watchServerStream(session: FrontSession, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
    const result = writeHead(...args);
    const type = String(res.getHeader('content-type') ?? JSON.stringify(args.slice(1)));
    if (res.statusCode === 200 && type.includes('text/event-stream')) {
      setImmediate(() => session.relay.streamOpened());
      res.once('close', () => session.relay.streamClosed());
    }
    return result;
  };
}

export async function handleStreamableHttp(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, identity: PeerIdentity): Promise<void> {
  const header = req.headers['mcp-session-id'];
  const sessionId = Array.isArray(header) ? header[0] : header;
  if (sessionId) {
    const session = ownedSession(ctx, res, sessionId, 'streamable-http', identity);
    if (!session) return;
    ctx.track(session, res);
    if (req.method === 'GET') watchServerStream(session, res);
    const body = await preReadJsonBody(req, MAX_BODY_BYTES);
    await (session.transport as FrontHttpTransport).handleRequest(req, res, body?.value);
    return;
  }
  if (req.method !== 'POST') {
    replyError(res, req.method === 'GET' || req.method === 'DELETE' ? 400 : 405, 'Bad Request: no Mcp-Session-Id header; open a session with an initialize POST', {
      headers: { allow: 'GET, POST, DELETE' },
    });
    return;
  }
  const body = await readJsonBody(req, MAX_BODY_BYTES);
  if (!body.ok) return replyError(res, body.status, body.message, { code: -32700 });
  const messages = Array.isArray(body.value) ? body.value : [body.value];
  if (!messages.some(isInitialize)) {
    replyError(res, 400, 'Bad Request: no valid session ID provided; the first request must be initialize');
    return;
  }
  const tooMany = ctx.refuseNewSession(identity);
  if (tooMany) return replyError(res, 429, tooMany, { code: -32000 });
  const id = randomUUID();
  const transport = createFrontHttpTransport(new StreamableHTTPServerTransport({ sessionIdGenerator: () => id }));
  let session: FrontSession;
  try {
    session = await ctx.openSession('streamable-http', id, transport, identity);
  } catch (err) {
    return backendFailure(res, err);
  }
  ctx.track(session, res);
  await transport.handleRequest(req, res, body.value);
  // A refused initialize (bad protocol version, malformed) leaves no usable session.
  if (transport.sessionId === undefined) await session.relay.close();
}

export async function handleSseStream(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, identity: PeerIdentity): Promise<void> {
  if (req.method !== 'GET') {
    replyError(res, 405, 'Method Not Allowed: /sse is the legacy SSE stream (GET); POST messages to /messages, or use Streamable HTTP at /mcp', {
      headers: { allow: 'GET' },
    });
    return;
  }
  const tooMany = ctx.refuseNewSession(identity);
  if (tooMany) return replyError(res, 429, tooMany, { code: -32000 });
  const transport = new SSEServerTransport('/messages', res);
  let session: FrontSession;
  try {
    session = await ctx.openSession('sse', transport.sessionId, transport, identity);
  } catch (err) {
    return backendFailure(res, err);
  }
  ctx.track(session, res);
}

export async function handleSseMessage(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, identity: PeerIdentity, url: URL): Promise<void> {
  if (req.method !== 'POST') {
    replyError(res, 405, 'Method Not Allowed: POST JSON-RPC messages to /messages?sessionId=...', { headers: { allow: 'POST' } });
    return;
  }
  const sessionId = url.searchParams.get('sessionId');
  if (!sessionId) return replyError(res, 400, 'Bad Request: missing sessionId query parameter');
  const session = ownedSession(ctx, res, sessionId, 'sse', identity);
  if (!session) return;
  ctx.track(session, res);
  await (session.transport as SSEServerTransport).handlePostMessage(req, res);
}
