/** Wires every MCP resource into a server: one file per resource, nothing else here. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerCertsResource } from './certs.js';
import { registerScoreResource } from './score.js';
import { registerAuditResource } from './audit.js';
import { registerPolicyResource } from './policy.js';
import { registerPinsResource } from './pins.js';

export function registerResources(server: McpServer, deps: McpServerDeps): void {
  registerCertsResource(server, deps);
  registerScoreResource(server, deps);
  registerAuditResource(server, deps);
  registerPolicyResource(server, deps);
  registerPinsResource(server, deps);
}
