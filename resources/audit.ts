/**
 * `tlsmcp://audit/{service_id}`: recent audit events of one service, newest
 * first: proxy connections (accepted and rejected, with the reason), tool
 * calls that concerned the service, revocations and reloads.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource, variable } from '../src/mcp/resource-kit.js';
import { knownServices } from '../src/mcp/services.js';

/** Enough to see what just happened without flooding a model's context. */
const RECENT = 200;

export function registerAuditResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'audit',
    new ResourceTemplate('tlsmcp://audit/{service_id}', {
      list: async () => ({
        resources: (await knownServices(deps)).map((name) => ({
          uri: `tlsmcp://audit/${encodeURIComponent(name)}`,
          name: `audit/${name}`,
          title: `Audit trail of ${name}`,
          mimeType: 'application/json',
        })),
      }),
      complete: { service_id: async (value) => (await knownServices(deps)).filter((s) => s.startsWith(value)) },
    }),
    {
      title: 'Audit trail',
      description:
        `The ${RECENT} most recent audit events of a service, newest first: connections (peer CN, serial, result, reason), tool calls (caller, tool, outcome, latency), revocations. ` +
        'Subscribe to it to be sent resources/updated when a new event names the service.',
      mimeType: 'application/json',
    },
    (uri, variables, extra) =>
      readJsonResource(deps, uri, extra, async () => {
        const service = variable(variables.service_id);
        const events = await deps.auditLog.read({ service, limit: RECENT });
        return { service, audit_enabled: deps.config.logging.audit, count: events.length, events };
      }),
  );
}
