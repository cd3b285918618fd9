/**
 * `tlsmcp://score`: the posture score breakdown. A resource read stays quick:
 * it does not scan the listeners (their grades show as not measured); the
 * tool `tlsmcp_score` does.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource } from '../src/mcp/resource-kit.js';
import { computeCurrentScore } from '../src/mcp/score-now.js';

export function registerScoreResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'score',
    'tlsmcp://score',
    {
      title: 'Posture score',
      description:
        'The 0-100 posture score with the breakdown by category, points lost per item and the recommendation that wins each back. ' +
        'Listener grades are not scanned here: call tlsmcp_score for those. Subscribe to it to be sent resources/updated when a certificate change moves the score.',
      mimeType: 'application/json',
    },
    (uri, extra) => readJsonResource(deps, uri, extra, () => computeCurrentScore(deps, { scanListeners: false })),
  );
}
