/** The fleet: instances, their event reports (the fleet audit log), the score, policies, webhook deliveries. */
import { createRoute, z } from '@hono/zod-openapi';
import { TlsmcpError } from '../../errors.js';
import { scoreReportSchema } from '../../score/index.js';
import { requireAdmin } from '../auth.js';
import { deliverySchema, fleetEventSchema, instanceSchema, policyRecordSchema, policySchema } from '../types.js';
import { errorResponses, json, type HubApp, type RouteDeps } from './common.js';

const serviceParam = z.object({
  service_id: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'a service name: letters, digits, ".", "_" or "-"').openapi({ param: { name: 'service_id', in: 'path' } }),
});

export function registerFleetRoutes(app: HubApp, deps: RouteDeps): void {
  const { service } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/instances',
      summary: 'Every enrolled instance: last seen, version, certificate expiry, sync latency',
      responses: { 200: { description: 'the instances', content: json(z.object({ instances: z.array(instanceSchema) })) }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('caller'), 'GET /api/v1/instances');
      return c.json({ instances: await service.instances() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/events',
      summary: "An instance reports a batch of connection, handshake and revocation events (the fleet audit log)",
      request: {
        body: {
          required: true,
          content: json(
            z
              .object({ events: z.array(fleetEventSchema).max(10_000), version: z.string().max(64).optional(), cursor: z.number().int().nonnegative().optional() })
              .openapi('EventBatch'),
          ),
        },
      },
      responses: { 200: { description: 'stored', content: json(z.object({ stored: z.number().int() })) }, ...errorResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      if (caller.kind !== 'instance') {
        throw new TlsmcpError('ERR_FORBIDDEN', 'POST /api/v1/events is for enrolled instances', { fix: 'report events with an instance certificate' });
      }
      const body = c.req.valid('json');
      return c.json({ stored: await service.recordEvents(caller.instance, body.events, body) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/score',
      summary: "The fleet's posture score with recommendations (admins and enrolled instances: `tlsmcp score` on a sidecar shows it)",
      responses: { 200: { description: 'the score', content: json(scoreReportSchema.openapi('ScoreReport')) }, ...errorResponses },
    }),
    // Read-only, and what every sidecar's `tlsmcp score` shows: any authenticated caller (admin or enrolled instance).
    async (c) => c.json(await service.score(), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/policy/{service_id}',
      summary: "A service's certificate and admission policy",
      request: { params: serviceParam },
      responses: { 200: { description: 'the policy', content: json(policyRecordSchema) }, ...errorResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { service_id } = c.req.valid('param');
      if (caller.kind === 'instance' && caller.instance.service_id !== service_id) {
        throw new TlsmcpError('ERR_FORBIDDEN', `this instance belongs to service ${caller.instance.service_id}, not ${service_id}`, { fix: 'read your own service policy, or use an admin certificate' });
      }
      return c.json(await service.policy(service_id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/policy/{service_id}',
      summary: "Replace a service's policy; pushed to its sidecars over the stream",
      request: { params: serviceParam, body: { required: true, content: json(policySchema) } },
      responses: { 200: { description: 'the stored policy', content: json(policyRecordSchema) }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('caller'), 'PUT /api/v1/policy/{service_id}');
      return c.json(await service.putPolicy(c.req.valid('param').service_id, c.req.valid('json')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/webhooks/deliveries',
      summary: 'Every webhook delivery attempt and its status',
      responses: { 200: { description: 'the deliveries', content: json(z.object({ deliveries: z.array(deliverySchema) })) }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('caller'), 'GET /api/v1/webhooks/deliveries');
      return c.json({ deliveries: await service.store.listDeliveries() }, 200);
    },
  );
}
