/**
 * The backend side of one front session, from the service's `backend` config:
 * `backend.command` spawns a stdio MCP server (one child per session, restarted
 * with backoff if it crashes, the handshake replayed); `backend.url` reaches an
 * HTTP MCP server on loopback (Streamable HTTP, else SSE), re-opening the session
 * if the backend forgets it.
 */
import type { McpServiceConfig } from './service.js';
import type { PeerIdentity as CoreIdentity } from '../core/identity.js';
import { xfccValue } from '../core/xfcc.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createBackendPool } from './backend-exchange.js';
import { createBackendFetch } from './backend-fetch.js';
import { createStdioBackendFactory } from './backend-stdio.js';
import { createHttpClientTransport } from './http-client-transport.js';
import { isSessionLost, isStreamLost } from './link-errors.js';
import { createResilientTransport, type ResilientTransport, type RestartPolicy } from './resilient-transport.js';

export interface BackendFactoryOptions {
  service: McpServiceConfig;
  logger: Logger;
  restart?: Partial<RestartPolicy> | undefined;
}

/**
 * Returns a function that makes the (unstarted) backend transport for a new
 * session; an HTTP backend is told the session's verified identity in
 * X-Forwarded-Client-Cert.
 */
export type BackendFactory = ((identity?: CoreIdentity) => ResilientTransport) & {
  /** Closes what the factory's backends share (the HTTP backends' idle keep-alive connections). */
  close(): void;
};

export function createBackendFactory({ service, logger, restart }: BackendFactoryOptions): BackendFactory {
  const backend = service.backend;
  const log = logger.child({ service: service.name });
  if (backend.command) {
    const create = createStdioBackendFactory({ command: backend.command, env: backend.env, cwd: backend.cwd, logger: log });
    const label = `backend "${backend.command.join(' ')}" of service ${service.name}`;
    return Object.assign(() => createResilientTransport({ create, logger: log, label, restart }), { close: () => undefined });
  }
  if (backend.url) {
    const url = new URL(backend.url);
    const label = `backend ${url.href} of service ${service.name}`;
    // One keep-alive pool per service's backend: Streamable HTTP on undici's dispatcher (./backend-streamable.ts),
    // the legacy SSE fallback through node:http rather than undici's fetch (./backend-fetch.ts).
    const pool = url.protocol === 'http:' ? createBackendPool(url.origin) : undefined;
    const backendFetch = createBackendFetch();
    const factory = (identity?: CoreIdentity) => {
      const xfcc = identity ? xfccValue(identity) : undefined;
      return createResilientTransport({
        create: () => createHttpClientTransport({ url, logger: log, xfcc, fetch: backendFetch.fetch, pool }),
        logger: log,
        label,
        restart,
        isSessionLost,
        isStreamLost,
      });
    };
    return Object.assign(factory, {
      close: () => {
        backendFetch.close();
        void pool?.destroy().catch(() => undefined);
      },
    });
  }
  throw new TlsmcpError('ERR_CONFIG_INVALID', `${service.path ? `${service.path}.` : ''}backend: a protocol: mcp service needs backend.command or backend.url`, {
    fix: 'set backend.command: ["cmd", "args"...] for a stdio MCP server, or backend.url: http://127.0.0.1:PORT/mcp',
  });
}
