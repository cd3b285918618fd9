/** Wires every MCP prompt into a server: one file per prompt, nothing else here. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerIncidentResponsePrompt } from './incident-response.js';
import { registerPostureReviewPrompt } from './posture-review.js';
import { registerRotateCertificatesPrompt } from './rotate-certificates.js';

export function registerPrompts(server: McpServer, deps: McpServerDeps): void {
  registerIncidentResponsePrompt(server, deps);
  registerPostureReviewPrompt(server, deps);
  registerRotateCertificatesPrompt(server, deps);
}
