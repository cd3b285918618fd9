/**
 * The MCP server factory: one McpServer with every tlsmcp tool, resource and
 * prompt, and resource subscriptions. Remote transports build one per session
 * (an McpServer serves one transport), stdio builds one; tests connect one to
 * an in-memory transport.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerPrompts } from '../../prompts/index.js';
import { registerResources } from '../../resources/index.js';
import { registerTools } from '../../tools/index.js';
import { VERSION } from '../version.js';
import { auditRejectedCalls } from '../mcp/audit-rejected-calls.js';
import type { McpServerDeps } from '../mcp/deps.js';
import { listToolsPerIdentity } from '../mcp/list-per-identity.js';
import { enableSubscriptions, type SubscriptionOptions } from '../mcp/subscriptions.js';

export const SERVER_INSTRUCTIONS =
  'tlsmcp runs a local CA and mTLS proxy workers. Issue client certificates with tlsmcp_cert_issue (keys stay on the tlsmcp host or with your CSR), ' +
  'check expiry with tlsmcp_cert_status, revoke with tlsmcp_cert_revoke (cuts live connections), inspect the proxy with tlsmcp_proxy_status, ' +
  'and read tlsmcp://policy/{service_id} and tlsmcp://audit/{service_id} for the active policy and what happened. ' +
  'Subscribe to tlsmcp://audit/{service_id}, tlsmcp://certs/{service_id} or tlsmcp://score to be told when they change; ' +
  'the prompts tlsmcp_incident_response, tlsmcp_posture_review and tlsmcp_rotate_certificates give the steps for those workflows.';

export interface McpServerOptions {
  subscriptions?: SubscriptionOptions;
}

export function createMcpServer(deps: McpServerDeps, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'tlsmcp', title: 'tlsmcp', version: VERSION },
    { capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} }, instructions: SERVER_INSTRUCTIONS },
  );
  registerTools(server, deps);
  registerResources(server, deps);
  registerPrompts(server, deps);
  enableSubscriptions(server, deps, options.subscriptions);
  // Calls the SDK refuses before a tool runs are audited at the transport, whoever connects this server,
  // and each caller is listed only the tools it may call.
  const connect = server.connect.bind(server);
  server.connect = (transport) => connect(listToolsPerIdentity(auditRejectedCalls(transport, deps), deps));
  return server;
}
