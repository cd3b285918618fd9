/**
 * `tlsmcp_posture_review`: the steps for a posture review. Read the score,
 * take the recommendations that win back the most points, and say what to
 * change (config key or tool call) for each.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { formatSteps, promptResult } from '../src/mcp/prompt-kit.js';

/** How many recommendations the review dwells on. */
const TOP = 3;

export function registerPostureReviewPrompt(server: McpServer, deps: McpServerDeps): void {
  server.registerPrompt(
    'tlsmcp_posture_review',
    {
      title: 'Posture review',
      description: `Review the TLS posture tlsmcp manages: the 0-100 score, the ${TOP} recommendations worth the most points, and what to change for each. Names the tlsmcp tools to call in order.`,
    },
    async () => {
      const services = deps.config.services.map((s) => s.name);
      const steps = formatSteps([
        { call: 'tlsmcp_score', args: { scan_listeners: true }, why: 'the score, the breakdown by category, every item that cost points and the recommendations ordered by points' },
        { call: 'tlsmcp_cert_status', why: 'which certificates are expiring, expired or revoked, and the action for each' },
        ...services.map((name) => ({
          call: `tlsmcp://policy/${encodeURIComponent(name)}`,
          why: `read the active policy of ${name} (mTLS mode, allowlists, TLS versions, TTLs) to see which key a recommendation changes`,
        })),
        { call: 'tlsmcp_proxy_status', why: 'whether every listener is ready and what it rejects (needs the proxy supervisor in this process)' },
      ]);
      const text =
        'Review the TLS posture of what tlsmcp manages' +
        (services.length ? ` (services: ${services.join(', ')})` : '') +
        `.\n\nCall these tlsmcp tools in order:\n${steps}\n\n` +
        `Then report: the score out of 100; the ${TOP} recommendations that win back the most points, each with its points, ` +
        'the exact change (the config key and value, or the tool call such as tlsmcp_cert_issue for a renewal) and its risk; ' +
        'and the inputs the score could not measure. Change nothing without asking; after an approved change, call tlsmcp_proxy_reload and tlsmcp_score again to show the new score.';
      return promptResult('TLS posture review', text);
    },
  );
}
