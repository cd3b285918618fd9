/** Wires every MCP tool into a server: one file per tool, nothing else here. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerCertIssueTool } from './cert-issue.js';
import { registerCertRevokeTool } from './cert-revoke.js';
import { registerCertListTool } from './cert-list.js';
import { registerCertStatusTool } from './cert-status.js';
import { registerProxyStatusTool } from './proxy-status.js';
import { registerProxyReloadTool } from './proxy-reload.js';
import { registerScanTool } from './scan.js';
import { registerScoreTool } from './score.js';
import { registerMcpPinsTool } from './mcp-pins.js';

export function registerTools(server: McpServer, deps: McpServerDeps): void {
  registerCertIssueTool(server, deps);
  registerCertRevokeTool(server, deps);
  registerCertListTool(server, deps);
  registerCertStatusTool(server, deps);
  registerProxyStatusTool(server, deps);
  registerProxyReloadTool(server, deps);
  registerScanTool(server, deps);
  registerScoreTool(server, deps);
  registerMcpPinsTool(server, deps);
}
