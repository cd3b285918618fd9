/**
 * SDK Clients for the remote MCP listener that present a client certificate:
 * a custom fetch using an undici Agent with cert/key/ca, for Streamable HTTP
 * and for SSE (where the EventSource gets the same fetch).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, fetch as undiciFetch } from 'undici';

export interface ClientTlsMaterial {
  /** Omit cert/key to connect without a client certificate. */
  cert?: string;
  key?: string;
  /** The CA that signed the listener's certificate. */
  ca: string;
}

export interface MtlsFetch {
  fetch: FetchLike;
  close(): Promise<void>;
}

export function createMtlsFetch(tls: ClientTlsMaterial): MtlsFetch {
  const agent = new Agent({ connect: { ca: tls.ca, ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) } });
  const fetch: FetchLike = (url, init) =>
    undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>;
  return { fetch, close: () => agent.destroy() };
}

export type RemoteKind = 'streamable-http' | 'sse';

export interface RemoteClient {
  client: Client;
  close(): Promise<void>;
}

/** Connects (initializes) an SDK Client to `baseUrl` over the given transport. Rejects when refused. */
export async function connectRemoteClient(baseUrl: string, kind: RemoteKind, tls: ClientTlsMaterial): Promise<RemoteClient> {
  const mtls = createMtlsFetch(tls);
  const client = new Client({ name: 'tlsmcp-remote-test', version: '0.0.0' });
  const transport =
    kind === 'streamable-http'
      ? new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { fetch: mtls.fetch })
      : new SSEClientTransport(new URL(`${baseUrl}/sse`), { fetch: mtls.fetch, eventSourceInit: { fetch: mtls.fetch } });
  try {
    await client.connect(transport);
  } catch (err) {
    await client.close().catch(() => undefined);
    await mtls.close();
    throw err;
  }
  return {
    client,
    async close() {
      await client.close().catch(() => undefined);
      await mtls.close();
    },
  };
}
