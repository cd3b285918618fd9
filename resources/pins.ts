/**
 * `tlsmcp://pins/{service_id}`: the tool-definition pins of an MCP front
 * service and its pending changes with their diff (what `tlsmcp mcp pins list`
 * shows). Read-only; approving goes through the tlsmcp_mcp_pins tool.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { listPins, pinnedServices } from '../src/mcp-front/pinning-admin.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource, variable } from '../src/mcp/resource-kit.js';

const mcpServices = (deps: McpServerDeps) => [...new Set([...deps.config.services.filter((s) => s.protocol === 'mcp').map((s) => s.name), ...pinnedServices(deps.stateDir)])].sort();

export function registerPinsResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'pins',
    new ResourceTemplate('tlsmcp://pins/{service_id}', {
      list: async () => ({
        resources: mcpServices(deps).map((name) => ({
          uri: `tlsmcp://pins/${encodeURIComponent(name)}`,
          name: `pins/${name}`,
          title: `Tool-definition pins of ${name}`,
          mimeType: 'application/json',
        })),
      }),
      complete: { service_id: (value) => mcpServices(deps).filter((s) => s.startsWith(value)) },
    }),
    {
      title: 'MCP tool-definition pins',
      description: 'Pinned tools, prompts and resource templates of an MCP front service (SHA-256 of each definition) and pending changes with their diff.',
      mimeType: 'application/json',
    },
    (uri, variables, extra) => readJsonResource(deps, uri, extra, async () => listPins(deps.stateDir, variable(variables.service_id))[0]),
  );
}
