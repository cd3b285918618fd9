/**
 * `tlsmcp_score`: the 0-100 posture score of what tlsmcp manages, with the
 * points lost per item and the recommendations that win them back (the
 * scoring itself lives in src/score).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { computeCurrentScore } from '../src/mcp/score-now.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';
import { scopeLine, scopedScoreReportSchema, scoreWithHub, type ScopedScoreReport } from '../src/hub/fleet-score.js';

const inputSchema = {
  scan_listeners: z
    .boolean()
    .default(true)
    .describe("scan tlsmcp's own server listeners for their grade (a few seconds); false leaves listener grades not measured"),
};

export function registerScoreTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_score',
      title: 'Posture score',
      description:
        'The 0-100 posture score of the certificates and services tlsmcp manages: a breakdown by category (certificates, enforcement, revocation, ' +
        "listeners, audit), every item that cost points with evidence, and recommendations ordered by the points they win back. Inputs that could not be measured are listed, not guessed. " +
        "With hub.url set it is the fleet score from the Hub (hub.scope 'fleet'); when the Hub is unreachable, this instance's local score, marked hub.scope 'local' with the reason.",
      inputSchema,
      outputSchema: scopedScoreReportSchema.shape,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const local = () => computeCurrentScore(deps, { scanListeners: args.scan_listeners });
      const settings = deps.config.hub_settings;
      const report: ScopedScoreReport = settings ? await scoreWithHub({ settings, stateDir: deps.stateDir, local }) : await local();
      const top = report.recommendations[0];
      return {
        summary:
          (report.hub ? `${scopeLine(report.hub)}. ` : '') +
          (report.score === null
            ? `No score: ${report.reason ?? 'nothing to score'}.`
            : `Score ${report.score}/100.${top ? ` Most valuable fix (+${top.points}): ${top.action}` : ' Nothing to fix.'}`),
        structured: report,
      };
    },
  );
}
