/**
 * `tlsmcp_proxy_status`: each proxied service's listener, worker state,
 * connections, rejections by reason and certificate expiry, from the
 * supervisor running in this process.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { requireKnownService, requireSupervisor } from '../src/mcp/require-supervisor.js';
import { serviceNameInput } from '../src/mcp/schemas.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';
import { serviceStatusSchema } from '../src/supervisor/types.js';

const inputSchema = {
  service: serviceNameInput.optional().describe('one service; all when omitted'),
};

const outputSchema = {
  /** Every service in scope is ready. */
  all_ready: z.boolean(),
  services: z.array(serviceStatusSchema),
};

export function registerProxyStatusTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_proxy_status',
      title: 'Proxy status',
      description:
        "Each proxied service's listener address, worker state (and why it is not ready), active and total connections, rejections by reason, " +
        'bytes, and its certificate expiry. Needs the proxy supervisor in this process (an MCP server started with a config that lists services).',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const supervisor = requireSupervisor(deps, 'tlsmcp_proxy_status');
      requireKnownService(supervisor, args.service);
      const services = supervisor.status().filter((s) => !args.service || s.name === args.service);
      const notReady = services.filter((s) => s.state !== 'ready');
      return {
        summary:
          notReady.length === 0
            ? `${services.length} service${services.length === 1 ? '' : 's'}, all ready.`
            : `Not ready: ${notReady.map((s) => `${s.name} (${s.state}${s.state_reason ? `: ${s.state_reason}` : ''})`).join('; ')}.`,
        structured: { all_ready: notReady.length === 0, services },
      };
    },
  );
}
