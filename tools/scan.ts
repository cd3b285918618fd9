/**
 * `tlsmcp_scan`: TLS posture scan of a host:port. Registered here; the scanner
 * itself (src/scan) is built in the scan and score issue. Until it lands the
 * tool answers honestly that it is not available.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

const inputSchema = {
  target: z.string().min(1).describe('HOST:PORT to scan, e.g. api.example.com:443'),
  sni: z.string().min(1).optional().describe('server name to send (defaults to the host)'),
};

export function registerScanTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_scan',
      title: 'Scan TLS posture',
      description: 'Scan a TLS endpoint: protocols, cipher suites, certificate chain, client authentication, findings with fixes, and a grade.',
      inputSchema,
      outputSchema: {},
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async () => {
      throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp_scan is not available yet: the scanner has not landed in this build', {
        fix: 'use `openssl s_client` or another scanner for now',
      });
    },
  );
}
