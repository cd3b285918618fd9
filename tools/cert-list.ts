/** `tlsmcp_cert_list`: the CA inventory, filterable by service, status and type. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { certStatusSchema, certTypeSchema } from '../src/ca/types.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { certViewSchema, serviceNameInput } from '../src/mcp/schemas.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

const inputSchema = {
  service: serviceNameInput.optional().describe('only certificates of this service'),
  status: certStatusSchema.optional().describe('valid, expiring, expired or revoked'),
  type: certTypeSchema.optional().describe('client or server'),
};

const outputSchema = {
  count: z.number(),
  certs: z.array(certViewSchema),
};

export function registerCertListTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_cert_list',
      title: 'List certificates',
      description:
        'List the certificates the local CA has issued, with status (valid, expiring, expired, revoked) and days left. ' +
        'Filter by service, status and type. Key files are named by path only; no key material is returned.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const certs = await deps.ca.list({ service: args.service, status: args.status, type: args.type });
      const filters = [args.service && `service ${args.service}`, args.status, args.type].filter(Boolean).join(', ');
      return {
        summary: `${certs.length} certificate${certs.length === 1 ? '' : 's'}${filters ? ` (${filters})` : ''}.`,
        structured: { count: certs.length, certs },
      };
    },
  );
}
