/**
 * `mcp serve` as it runs for real, for end-to-end tests: the remote MCP
 * listener, a supervisor with a TCP service and an MCP front service in worker
 * threads, all in one process on one state dir and one revocation feed.
 */
import { join } from 'node:path';
import { startMcpServe, type McpServeHandle } from '../../src/app/mcp-serve.js';
import { createCertificateAuthority, ttlPolicyFromConfig, type CertificateAuthority } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { createSupervisor, type ProxySupervisor } from '../../src/supervisor/supervisor.js';
import { startTestMcpBackend, type TestMcpBackend } from './mcp-front-backend.js';
import { startEchoBackend, type CountingBackend } from './proxy-backend.js';

export interface CoreServe {
  stateDir: string;
  ca: CertificateAuthority;
  caPem: string;
  tcpPort: number;
  frontPort: number;
  remotePort: number;
  remoteOrigin: string;
  close(): Promise<void>;
}

export async function createMcpServeForTest(dir: string): Promise<CoreServe> {
  const stateDir = join(dir, 'state');
  const echo: CountingBackend = await startEchoBackend();
  const mcpBackend: TestMcpBackend = await startTestMcpBackend();
  const config = parseConfig({
    revocation_refresh: '250ms',
    admin: { enabled: false },
    logging: { audit: false },
    services: [
      { name: 'tcp', listen: '127.0.0.1:0', backend: `127.0.0.1:${echo.port}` },
      { name: 'front', listen: '127.0.0.1:0', protocol: 'mcp', backend: { url: mcpBackend.url } },
    ],
    mcp: { transport: 'http', sse_address: '127.0.0.1:0', authorization: [{ identity: { cn: 'admin' }, allow_tools: ['tlsmcp_cert_revoke'] }] },
  }, 'core serve');
  let supervisor: ProxySupervisor | undefined;
  const serve: McpServeHandle = await startMcpServe({
    config,
    stateDir,
    logger: createSilentLogger(),
    transport: 'http',
    createSupervisor: (o) => (supervisor = createSupervisor({ ...o, workersPerListener: 1 })),
  });
  const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config) });
  return {
    stateDir,
    ca,
    caPem: ca.caCertPem(),
    tcpPort: supervisor!.address('tcp')!.port,
    frontPort: supervisor!.address('front')!.port,
    remotePort: serve.remote!.address.port,
    remoteOrigin: serve.remote!.url,
    async close() {
      await serve.close();
      await mcpBackend.close();
      await echo.close();
    },
  };
}
