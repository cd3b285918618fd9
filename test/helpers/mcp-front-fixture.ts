/**
 * An MCP front on 127.0.0.1:0 for tests, configured through the real config
 * schema, with a real audit log in the test PKI's temp dir, and SDK Clients that
 * reach it with a client certificate (undici Agent as the fetch dispatcher) over
 * Streamable HTTP or legacy SSE. Everything opened is closed by `close()`.
 * TLSMCP_TEST_LOG=debug shows the front's logs on stderr.
 */
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { IssueResult } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { ServiceConfig } from '../../src/config/schema.js';
import { createMtlsFetch, type MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createLogger, createSilentLogger, type LogLevel } from '../../src/logger.js';
import { createMcpFront, type McpFront } from '../../src/mcp-front/index.js';
import type { RestartPolicy } from '../../src/mcp-front/resilient-transport.js';
import { createAuditLog, type AuditLog } from '../../src/state/audit-log.js';
import type { TestPki } from './ca-fixture.js';

const require = createRequire(import.meta.url);

/** `backend.command` for an npm-installed reference MCP server, run with this node. */
export function everythingCommand(): string[] {
  return [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
}

export function filesystemCommand(dir: string): string[] {
  return [process.execPath, require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js'), dir];
}

export type ClientKind = 'streamable-http' | 'sse';

export interface ConnectedClient {
  client: Client;
  transport: Transport;
  mtls: MtlsFetch;
}

export interface FrontFixture {
  front: McpFront;
  service: ServiceConfig;
  origin: string;
  auditLog: AuditLog;
  /** An SDK client with `cert` (or none) over the given transport. */
  connect(cert: IssueResult | undefined, kind: ClientKind, options?: ClientOptions, setup?: (client: Client) => void): Promise<ConnectedClient>;
  close(): Promise<void>;
}

export function testLogger() {
  const level = process.env.TLSMCP_TEST_LOG as LogLevel | undefined;
  return level ? createLogger({ level }) : createSilentLogger();
}

export interface FrontFixtureExtras {
  restart?: Partial<RestartPolicy>;
  /** Defaults to 127.0.0.1:0. */
  listen?: string;
}

export async function startFrontFixture(pki: TestPki, service: Record<string, unknown>, extras: FrontFixtureExtras = {}): Promise<FrontFixture> {
  const { restart, listen = '127.0.0.1:0' } = extras;
  const config = parseConfig({ services: [{ name: 'front-test', listen, protocol: 'mcp', ...service }] }, 'test');
  const svc = config.services[0]!;
  const server = await pki.server();
  const auditLog = createAuditLog(join(pki.dir, 'audit.log'));
  const front = createMcpFront({
    service: svc,
    tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [pki.caPem] },
    auditLog,
    logger: testLogger(),
    restart,
  });
  const { port } = await front.listen();
  const origin = `https://127.0.0.1:${port}`;
  const clients: ConnectedClient[] = [];
  return {
    front,
    service: svc,
    origin,
    auditLog,
    async connect(cert, kind, options, setup) {
      const mtls = createMtlsFetch({ certPem: cert?.certPem, keyPem: cert?.keyPem, caPem: pki.caPem });
      const transport =
        kind === 'sse'
          ? new SSEClientTransport(new URL('/sse', origin), { fetch: mtls.fetch, eventSourceInit: { fetch: mtls.fetch } })
          : new StreamableHTTPClientTransport(new URL('/mcp', origin), { fetch: mtls.fetch });
      const client = new Client({ name: 'front-test-client', version: '1.0.0' }, options);
      const connected = { client, transport, mtls };
      clients.push(connected);
      setup?.(client);
      await client.connect(transport);
      return connected;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.client.close()));
      await Promise.allSettled(clients.map((c) => c.mtls.destroy()));
      await front.close();
      await auditLog.close();
    },
  };
}
