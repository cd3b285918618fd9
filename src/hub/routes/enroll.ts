/** POST /api/v1/enroll: an instance trades a single-use token and a CSR for its certificates (the only path without a client certificate). */
import { createRoute, z } from '@hono/zod-openapi';
import { revocationSchema } from '../types.js';
import { errorResponses, json, type HubApp, type RouteDeps } from './common.js';

const enrollBody = z
  .object({
    token: z.string().min(16).max(200),
    service_id: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'a service name').optional(),
    csr: z.string().min(1).openapi({ description: "PEM PKCS#10 of the instance's key, made locally" }),
    server_names: z.object({ dns: z.array(z.string().min(1)).max(50).optional(), ip: z.array(z.string().min(1)).max(50).optional() }).optional(),
    version: z.string().max(64).optional(),
  })
  .openapi('EnrollRequest');

const enrollResult = z
  .object({
    instance_id: z.string(),
    service_id: z.string(),
    cert_id: z.string(),
    cert_pem: z.string(),
    server_cert_id: z.string(),
    server_cert_pem: z.string(),
    ca_pem: z.string(),
    revocations: z.array(revocationSchema),
    cursor: z.number().int(),
  })
  .openapi('Enrollment');

export function registerEnrollRoute(app: HubApp, deps: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/enroll',
      summary: 'Enroll an instance with a single-use token: its instance and server certificates, the Hub CA and the revocation list',
      request: { body: { required: true, content: json(enrollBody) } },
      responses: { 200: { description: 'the enrollment', content: json(enrollResult) }, ...errorResponses },
    }),
    async (c) => c.json(await deps.service.enroll(c.req.valid('json')), 200),
  );
}
