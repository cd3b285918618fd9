/**
 * `tlsmcp://score`: the posture score breakdown. The scoring (src/score) is
 * built in the scan and score issue; until it lands a read fails honestly.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource } from '../src/mcp/resource-kit.js';

export function registerScoreResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'score',
    'tlsmcp://score',
    {
      title: 'Posture score',
      description: 'The 0-100 posture score with the breakdown by category, points lost per item and the recommendation that wins each back.',
      mimeType: 'application/json',
    },
    (uri, extra) =>
      readJsonResource(deps, uri, extra, async () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp://score is not available yet: the scoring has not landed in this build', {
          fix: 'read tlsmcp://certs/{service_id} and call tlsmcp_proxy_status for now',
        });
      }),
  );
}
