/** /api/v1/certs/*: issue, read, revoke, renew, and the revocation delta. */
import { createRoute, z } from '@hono/zod-openapi';
import { certRecordSchema, certStatusSchema, certTypeSchema, revocationReasonSchema } from '../../ca/types.js';
import { TlsmcpError } from '../../errors.js';
import { requireAdmin } from '../auth.js';
import { revocationSchema } from '../types.js';
import { errorResponses, json, type HubApp, type RouteDeps } from './common.js';

const issueBody = z
  .object({
    type: certTypeSchema,
    service: z.string().min(1).max(63),
    cn: z.string().min(1).max(64).optional(),
    ttl: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 5m, 24h').optional(),
    sans: z.object({ dns: z.array(z.string().min(1)).optional(), ip: z.array(z.string().min(1)).optional(), uri: z.array(z.string().min(1)).optional() }).optional(),
    csr: z.string().min(1).optional().openapi({ description: 'PEM PKCS#10; the key never leaves the requester' }),
  })
  .openapi('IssueRequest');

const issuedSchema = z
  .object({
    id: z.string(),
    serial: z.string(),
    type: certTypeSchema,
    service: z.string(),
    not_before: z.string(),
    not_after: z.string(),
    cert_pem: z.string(),
    ca_pem: z.string(),
    key_pem: z.string().optional().openapi({ description: 'only when the Hub made the key (no csr); returned once, never stored' }),
  })
  .openapi('IssuedCertificate');

const certViewSchema = certRecordSchema.omit({ files: true }).extend({ status: certStatusSchema, days_left: z.number() }).openapi('Certificate');
const idParam = z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' } }) });

export function registerCertRoutes(app: HubApp, deps: RouteDeps): void {
  const { service } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/certs/revocations',
      summary: 'Revoked serials after a cursor (all without one), and the new cursor',
      request: { query: z.object({ since: z.coerce.number().int().nonnegative().optional() }) },
      responses: { 200: { description: 'the delta', content: json(z.object({ revocations: z.array(revocationSchema), cursor: z.number().int() }).openapi('RevocationDelta')) }, ...errorResponses },
    }),
    async (c) => c.json(await service.revocations(c.req.valid('query').since), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/certs/issue',
      summary: 'Issue a client or server certificate (from a CSR, or with a key made by the Hub)',
      request: { body: { content: json(issueBody), required: true } },
      responses: { 200: { description: 'the certificate', content: json(issuedSchema) }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('caller'), 'POST /api/v1/certs/issue');
      return c.json(await service.issue(c.req.valid('json')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/certs/renew',
      summary: 'Renew a certificate by id: same identity, new validity (new key unless it came from a CSR)',
      request: { body: { content: json(z.object({ id: z.string().min(1) }).openapi('RenewRequest')), required: true } },
      responses: { 200: { description: 'the new certificate', content: json(issuedSchema) }, ...errorResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { id } = c.req.valid('json');
      return c.json(caller.kind === 'admin' ? await service.renew(id) : await service.renewForInstance(caller.instance, id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/certs/{id}',
      summary: 'A certificate record and its status',
      request: { params: idParam },
      responses: { 200: { description: 'the record', content: json(certViewSchema) }, ...errorResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      const view = await service.get(c.req.valid('param').id);
      if (caller.kind === 'instance' && view.service !== caller.instance.service_id) {
        throw new TlsmcpError('ERR_FORBIDDEN', `certificate ${view.id} belongs to service ${view.service}, not to this instance's ${caller.instance.service_id}`, { fix: 'use an admin certificate' });
      }
      const { files: _files, ...record } = view;
      return c.json(record, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/certs/{id}',
      summary: 'Revoke a certificate fleet-wide; answered once the revocation is stored',
      request: { params: idParam, query: z.object({ reason: revocationReasonSchema.optional() }) },
      responses: { 200: { description: 'the stored revocation', content: json(revocationSchema) }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('caller'), 'DELETE /api/v1/certs/{id}');
      return c.json(await service.revoke(c.req.valid('param').id, c.req.valid('query').reason ?? 'unspecified'), 200);
    },
  );
}
