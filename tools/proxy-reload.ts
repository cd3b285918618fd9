/**
 * `tlsmcp_proxy_reload`: reload certificates and policy for one service or
 * all. The config file is re-read first when the server was started from one,
 * so policy edits take effect; changes that need a restart are reported.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { requireKnownService, requireSupervisor } from '../src/mcp/require-supervisor.js';
import { serviceNameInput } from '../src/mcp/schemas.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';
import { reloadResultSchema } from '../src/supervisor/types.js';

const inputSchema = {
  service: serviceNameInput.optional().describe('one service; all when omitted'),
};

const outputSchema = {
  /** The config file was re-read (policy changes apply). */
  config_reloaded: z.boolean(),
  results: z.array(reloadResultSchema),
};

export function registerProxyReloadTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_proxy_reload',
      title: 'Reload proxy',
      description:
        'Reload certificates and policy (allowlists, limits) for one service or all, without dropping live connections. The config file is re-read ' +
        'first; an invalid config is refused with the problems listed. Changes that cannot apply live (e.g. a new listen port) are listed in needs_restart.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      const supervisor = requireSupervisor(deps, 'tlsmcp_proxy_reload');
      requireKnownService(supervisor, args.service);
      if (args.service) ctx.audit.service = args.service;
      const config = deps.reloadConfig?.();
      const results = await supervisor.reload({ ...(args.service ? { service: args.service } : {}), ...(config ? { config } : {}) });
      const failed = results.filter((r) => r.error);
      const restart = results.filter((r) => r.needs_restart.length > 0);
      const parts = [
        `Reloaded ${results.filter((r) => r.reloaded).length} of ${results.length} service${results.length === 1 ? '' : 's'}.`,
        ...failed.map((r) => `${r.service} failed: ${r.error}.`),
        ...restart.map((r) => `${r.service} needs a restart for: ${r.needs_restart.join(', ')}.`),
      ];
      return { summary: parts.join(' '), structured: { config_reloaded: Boolean(config), results } };
    },
  );
}
