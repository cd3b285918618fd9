/**
 * An MCP front with tool-definition pinning for tests: the front of
 * mcp-front-fixture.ts plus a pin store in a real state dir (the file
 * `tlsmcp mcp pins` edits), over the pinning test backend. `restart()` closes
 * the front and starts a new one on the same state dir, as a tlsmcp restart does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { IssueResult } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createMtlsFetch, type MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createMcpFront, type McpFront } from '../../src/mcp-front/index.js';
import { createPinStore } from '../../src/mcp-front/pinning-store.js';
import { createAuditLog, type AuditLog } from '../../src/state/audit-log.js';
import { pinsFile, statePaths } from '../../src/state/state-dir.js';
import type { TestPki } from './ca-fixture.js';
import { testLogger } from './mcp-front-fixture.js';
import { PINNING_BACKEND_PATH, type EchoVariant } from './mcp-pinning-backend.js';

export const SERVICE = 'front-test';

export interface PinningFixture {
  stateDir: string;
  front: () => McpFront;
  auditLog: AuditLog;
  /** What the backend's `echo` looks like for sessions started from now on. */
  setVariant(variant: EchoVariant): void;
  connect(cert: IssueResult): Promise<Client>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPinningFixture(pki: TestPki, service: Record<string, unknown> = {}): Promise<PinningFixture> {
  const stateDir = join(pki.dir, 'state');
  const variantFile = join(pki.dir, 'echo-variant.json');
  const setVariant = (v: EchoVariant) => writeFileSync(variantFile, JSON.stringify(v));
  setVariant({ description: 'Echoes text' });
  const config = parseConfig(
    {
      services: [
        {
          name: SERVICE,
          listen: '127.0.0.1:0',
          protocol: 'mcp',
          backend: { command: [process.execPath, '--import', 'tsx', PINNING_BACKEND_PATH, variantFile], cwd: process.cwd() },
          ...service,
        },
      ],
    },
    'test',
  );
  const svc = config.services[0]!;
  const server = await pki.server();
  const auditLog = createAuditLog(statePaths(stateDir).auditLog);
  const clients: { client: Client; mtls: MtlsFetch }[] = [];
  let front: McpFront | undefined;
  let origin = '';
  const start = async () => {
    front = createMcpFront({
      service: svc,
      tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [pki.caPem] },
      auditLog,
      logger: testLogger(),
      pins: createPinStore(SERVICE, pinsFile(statePaths(stateDir).pinsDir, SERVICE)),
    });
    const { port } = await front.listen();
    origin = `https://127.0.0.1:${port}`;
  };
  const closeClients = async () => {
    const open = clients.splice(0);
    await Promise.allSettled(open.map((c) => c.client.close()));
    await Promise.allSettled(open.map((c) => c.mtls.destroy()));
  };
  await start();
  return {
    stateDir,
    front: () => front!,
    auditLog,
    setVariant,
    async connect(cert) {
      const mtls = createMtlsFetch({ certPem: cert.certPem, keyPem: cert.keyPem, caPem: pki.caPem });
      const client = new Client({ name: 'pinning-test-agent', version: '1.0.0' });
      clients.push({ client, mtls });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', origin), { fetch: mtls.fetch }));
      return client;
    },
    async restart() {
      await closeClients();
      await front?.close();
      await start();
    },
    async close() {
      await closeClients();
      await front?.close();
      await auditLog.close();
    },
  };
}
