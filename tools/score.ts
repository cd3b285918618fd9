/**
 * `tlsmcp_score`: the 0-100 posture score of what tlsmcp manages. Registered
 * here; the scoring (src/score) is built in the scan and score issue. Until it
 * lands the tool answers honestly that it is not available.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

export function registerScoreTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_score',
      title: 'Posture score',
      description: 'The 0-100 posture score of the certificates and services tlsmcp manages, with the points lost per item and how to win them back.',
      inputSchema: {},
      outputSchema: {},
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp_score is not available yet: the scoring has not landed in this build', {
        fix: 'use tlsmcp_cert_status and tlsmcp_proxy_status for now',
      });
    },
  );
}
