/**
 * `tlsmcp_cert_status`: health and expiry of one certificate, or of every
 * certificate of a service, each with what to do about it.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { certStatusSchema, certTypeSchema, type CertView } from '../src/ca/types.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { serviceNameInput } from '../src/mcp/schemas.js';
import { knownServices } from '../src/mcp/services.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

const inputSchema = {
  id: z.string().min(1).max(200).optional().describe('one certificate: id, serial or fingerprint'),
  service: serviceNameInput.optional().describe('every certificate of this service'),
};

const certHealth = z.object({
  id: z.string(),
  serial: z.string(),
  cn: z.string(),
  type: certTypeSchema,
  service: z.string(),
  status: certStatusSchema,
  days_left: z.number(),
  not_after: z.string(),
  /** What to do about it, in one sentence. */
  action: z.string(),
});

const outputSchema = {
  scope: z.enum(['certificate', 'service']),
  service: z.string(),
  /** No certificate in scope is expired or expiring. */
  healthy: z.boolean(),
  counts: z.object({ valid: z.number(), expiring: z.number(), expired: z.number(), revoked: z.number() }),
  certs: z.array(certHealth),
  /** The proxy's own listener certificate, when the supervisor runs in this process. */
  listener_certificate: z
    .object({ source: z.enum(['config', 'ca']), serial: z.string().optional(), not_after: z.string().optional(), days_left: z.number().optional() })
    .nullable(),
};

function actionFor(c: CertView): string {
  const replace = `issue a replacement with tlsmcp_cert_issue (service "${c.service}", cn "${c.cn}", type ${c.type}) or run \`tlsmcp cert renew ${c.id}\``;
  switch (c.status) {
    case 'valid':
      return `none: valid for ${c.days_left} more day${c.days_left === 1 ? '' : 's'} (until ${c.not_after})`;
    case 'expiring':
      return `renew soon, it expires ${c.not_after} (${c.days_left} day${c.days_left === 1 ? '' : 's'} left): ${replace}`;
    case 'expired':
      return `replace it: it expired ${c.not_after} and is refused in every handshake; ${replace}`;
    case 'revoked':
      return `none for this certificate (revoked ${c.revoked?.at ?? ''}, ${c.revoked?.reason ?? 'unspecified'}); if its holder still needs access, issue a new one with tlsmcp_cert_issue`;
  }
}

export function registerCertStatusTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_cert_status',
      title: 'Certificate health',
      description:
        'Health and expiry of one certificate (by id or serial) or of every certificate of a service: status, days left, and the action to take ' +
        '(renew, replace, nothing). "healthy" is false when any certificate in scope is expired or expiring.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      if (Boolean(args.id) === Boolean(args.service)) {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', 'give exactly one of id or service', {
          fix: 'pass id for one certificate, or service for all of a service',
        });
      }
      let certs: CertView[];
      let service: string;
      if (args.id) {
        const cert = await deps.ca.get(args.id);
        certs = [cert];
        service = cert.service;
        ctx.audit.cert_serial = cert.serial;
      } else {
        service = args.service!;
        certs = await deps.ca.list({ service });
        if (certs.length === 0 && !(await knownServices(deps)).includes(service)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service: "${service}" is not configured and has no certificates`, {
            fix: `use one of: ${(await knownServices(deps)).join(', ') || '(none yet: issue a certificate first)'}`,
          });
        }
      }
      ctx.audit.service = service;
      const counts = { valid: 0, expiring: 0, expired: 0, revoked: 0 };
      for (const c of certs) counts[c.status] += 1;
      const listener = deps.supervisor?.status().find((s) => s.name === service)?.certificate ?? null;
      const healthy = counts.expired === 0 && counts.expiring === 0;
      return {
        summary: healthy
          ? `${service}: ${certs.length} certificate${certs.length === 1 ? '' : 's'}, none expired or expiring.`
          : `${service}: ${counts.expired} expired, ${counts.expiring} expiring: see each certificate's action.`,
        structured: {
          scope: args.id ? ('certificate' as const) : ('service' as const),
          service,
          healthy,
          counts,
          certs: certs.map((c) => ({
            id: c.id,
            serial: c.serial,
            cn: c.cn,
            type: c.type,
            service: c.service,
            status: c.status,
            days_left: c.days_left,
            not_after: c.not_after,
            action: actionFor(c),
          })),
          listener_certificate: listener,
        },
      };
    },
  );
}
