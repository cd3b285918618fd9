/**
 * The remote MCP endpoints on one hono app: Streamable HTTP at /mcp and the
 * legacy SSE transport at /sse (stream) + /messages (posts). The caller's
 * identity comes from the TLS socket's verified peer certificate and reaches
 * handlers as the request's auth info. A session stays bound to the
 * certificate that opened it: another certificate cannot use its id.
 */
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { Hono, type Context } from 'hono';
import type { AuthorizationRule } from '../../config/primitives.js';
import type { Logger } from '../../logger.js';
import { scopesFor } from '../authorization.js';
import { ANONYMOUS_CALLER, authInfoFromIdentity, type CallerIdentity } from '../identity.js';
import type { SessionRegistry } from './session-registry.js';

export interface RemoteRoutesOptions {
  registry: SessionRegistry;
  /** A fresh McpServer for each session. */
  createServer: () => McpServer;
  /** Client certificates are required (mcp.self_secure). */
  requireCertificate: boolean;
  rules: () => AuthorizationRule[];
  isRevoked: (serial: string) => boolean;
  /** The caller admitted on this socket at its handshake (undefined: no certificate). */
  callerOf: (socket: TLSSocket) => CallerIdentity | undefined;
  /**
   * Without client certificates (self_secure off, loopback only) a browser page could reach the
   * listener through DNS rebinding: then only these Host names are served.
   */
  allowedHostnames?: string[] | undefined;
  logger: Logger;
}

type Env = { Bindings: HttpBindings };
type Caller = { identity: CallerIdentity; authInfo: AuthInfo };

const jsonRpcError = (c: Context<Env>, status: 400 | 401 | 403 | 404 | 429 | 500, message: string) =>
  c.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, status);

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

function callerOf(c: Context<Env>, options: RemoteRoutesOptions): Caller | Response {
  if (options.allowedHostnames && !options.allowedHostnames.includes(hostnameOf(c.req.header('host')).toLowerCase())) {
    return jsonRpcError(c, 403, `Host "${c.req.header('host') ?? ''}" is not served here`);
  }
  const socket = c.env.incoming.socket as TLSSocket;
  const identity = options.callerOf(socket);
  if (!identity) {
    // Only reachable with self_secure off (loopback): the handshake already refuses certificate-less clients otherwise.
    if (options.requireCertificate) return jsonRpcError(c, 401, 'a client certificate from the tlsmcp CA is required');
    return { identity: ANONYMOUS_CALLER, authInfo: authInfoFromIdentity(ANONYMOUS_CALLER, scopesFor(options.rules(), ANONYMOUS_CALLER)) };
  }
  if (identity.serial && options.isRevoked(identity.serial)) {
    socket.destroy();
    return jsonRpcError(c, 403, `certificate ${identity.serial} is revoked`);
  }
  return { identity, authInfo: authInfoFromIdentity(identity, scopesFor(options.rules(), identity)) };
}

/** The certificate that opened a session is the only one that may use it. */
function sameCaller(a: CallerIdentity, b: CallerIdentity): boolean {
  return a.kind === b.kind && a.fingerprint === b.fingerprint;
}

export function createRemoteRoutes(options: RemoteRoutesOptions): Hono<Env> {
  const { registry, logger } = options;
  const app = new Hono<Env>();

  app.all('/mcp', async (c) => {
    const caller = callerOf(c, options);
    if (caller instanceof Response) return caller;
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId) {
      const session = registry.get(sessionId);
      if (!session || session.kind !== 'streamable-http') return jsonRpcError(c, 404, 'session not found: initialize a new session');
      if (!sameCaller(session.identity, caller.identity)) return jsonRpcError(c, 403, 'this session belongs to another client certificate');
      c.env.outgoing.once('close', registry.busy(sessionId));
      return session.transport.handleRequest(c.req.raw, { authInfo: caller.authInfo });
    }
    if (c.req.method !== 'POST') return jsonRpcError(c, 400, 'no mcp-session-id: start a session with an initialize POST');
    const full = await registry.makeRoomFor(caller.identity);
    if (full) return jsonRpcError(c, 429, full);

    const server = options.createServer();
    let opened = false;
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        opened = true;
        registry.add({
          id,
          kind: 'streamable-http',
          identity: caller.identity,
          transport,
          close: async () => {
            await transport.close();
            await server.close();
          },
        });
      },
      onsessionclosed: (id) => registry.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) registry.remove(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw, { authInfo: caller.authInfo });
    if (!opened) await server.close(); // not an initialize request: nothing to keep
    return response;
  });

  app.get('/sse', async (c) => {
    const caller = callerOf(c, options);
    if (caller instanceof Response) return caller;
    const full = await registry.makeRoomFor(caller.identity);
    if (full) return jsonRpcError(c, 429, full);
    const server = options.createServer();
    const transport = new SSEServerTransport('/messages', c.env.outgoing);
    const id = transport.sessionId;
    transport.onclose = () => registry.remove(id);
    registry.add({
      id,
      kind: 'sse',
      identity: caller.identity,
      transport,
      close: async () => {
        await server.close(); // closes the transport, which ends the event stream
      },
    });
    c.env.outgoing.on('close', () => {
      if (registry.get(id)) void server.close();
    });
    await server.connect(transport);
    return RESPONSE_ALREADY_SENT;
  });

  app.post('/messages', async (c) => {
    const caller = callerOf(c, options);
    if (caller instanceof Response) return caller;
    const id = c.req.query('sessionId') ?? '';
    const session = registry.get(id);
    if (!session || session.kind !== 'sse') return jsonRpcError(c, 404, 'session not found: open a new event stream at /sse');
    if (!sameCaller(session.identity, caller.identity)) return jsonRpcError(c, 403, 'this session belongs to another client certificate');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonRpcError(c, 400, 'the body is not JSON');
    }
    const incoming = c.env.incoming as HttpBindings['incoming'] & { auth?: AuthInfo };
    incoming.auth = caller.authInfo;
    await session.transport.handlePostMessage(incoming, c.env.outgoing, body);
    return RESPONSE_ALREADY_SENT;
  });

  app.notFound((c) => c.json({ error: 'not found: MCP is served at /mcp (Streamable HTTP) and /sse + /messages (SSE)' }, 404));
  app.onError((err, c) => {
    logger.error({ event: 'mcp_http_error', err }, 'MCP HTTP request failed');
    return jsonRpcError(c, 500, 'request failed');
  });
  return app;
}
