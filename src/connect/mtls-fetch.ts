/**
 * A fetch that presents a client certificate: the MCP SDK's HTTP client
 * transports take a `fetch`, not an agent, so the certificate rides on an undici
 * Agent passed as the dispatcher. undici's own fetch is used with its own Agent
 * (Node's bundled fetch may be a different undici major).
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface MtlsFetchOptions {
  /** The client certificate and key; omit both to connect without one (tests of refusal). */
  certPem?: string | undefined;
  keyPem?: string | undefined;
  /** Roots to verify the server with; omit to use the system store. */
  caPem?: string | undefined;
  /** Name to check on the server certificate when it differs from the URL host. */
  servername?: string | undefined;
}

export interface MtlsFetch {
  fetch: FetchLike;
  /** Closes pooled connections. */
  close(): Promise<void>;
  /** Drops pooled connections now (e.g. after the peer refused the certificate). */
  destroy(): Promise<void>;
}

export function createMtlsFetch(options: MtlsFetchOptions): MtlsFetch {
  const agent = new Agent({
    connect: {
      ...(options.certPem && options.keyPem ? { cert: options.certPem, key: options.keyPem } : {}),
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
      minVersion: 'TLSv1.2',
    },
    // SSE streams stay open for as long as the session lives.
    bodyTimeout: 0,
  });
  const fetch: FetchLike = (url, init) =>
    undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>;
  return {
    fetch,
    close: () => agent.close(),
    destroy: () => agent.destroy(),
  };
}
