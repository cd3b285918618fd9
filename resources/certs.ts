/**
 * `tlsmcp://certs/{service_id}`: the certificate inventory of one service.
 * `resources/list` enumerates every service from the config and the inventory.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource, variable } from '../src/mcp/resource-kit.js';
import { knownServices } from '../src/mcp/services.js';

export function registerCertsResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'certs',
    new ResourceTemplate('tlsmcp://certs/{service_id}', {
      list: async () => ({
        resources: (await knownServices(deps)).map((name) => ({
          uri: `tlsmcp://certs/${encodeURIComponent(name)}`,
          name: `certs/${name}`,
          title: `Certificates of ${name}`,
          mimeType: 'application/json',
        })),
      }),
      complete: { service_id: async (value) => (await knownServices(deps)).filter((s) => s.startsWith(value)) },
    }),
    {
      title: 'Certificate inventory',
      description:
        'Every certificate issued for a service: status, days left, serial, SANs, file paths (never key material). ' +
        'Subscribe to it to be sent resources/updated when one is issued or revoked.',
      mimeType: 'application/json',
    },
    (uri, variables, extra) =>
      readJsonResource(deps, uri, extra, async () => {
        const service = variable(variables.service_id);
        const certs = await deps.ca.list({ service });
        if (certs.length === 0 && !(await knownServices(deps)).includes(service)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service_id: "${service}" is not configured and has no certificates`, {
            fix: 'list the resources to see the known services',
          });
        }
        return { service, count: certs.length, certs };
      }),
  );
}
