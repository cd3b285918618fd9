/**
 * The Hub's hono app: the client-certificate check, every route of the REST
 * API, zod validation with errors that name the field, and the OpenAPI 3.1
 * document generated from the same schemas at /api/v1/openapi.json.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { authenticate } from './auth.js';
import type { HubEnv } from './hub-env.js';
import { answerError, errorBody } from './http-errors.js';
import { registerCertRoutes } from './routes/certs.js';
import type { RouteDeps } from './routes/common.js';
import { registerEnrollRoute } from './routes/enroll.js';
import { registerFleetRoutes } from './routes/fleet.js';
import { registerStreamRoute } from './routes/stream.js';
import { registerDashboard } from './dashboard/routes.js';

export interface HubAppOptions extends RouteDeps {
  admins: string[];
}

export function createHubApp(options: HubAppOptions): OpenAPIHono<HubEnv> {
  const app = new OpenAPIHono<HubEnv>({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const problems = result.error.issues.map((i) => `${[result.target === 'json' ? 'body' : result.target, ...i.path.map(String)].join('.')}: ${i.message}`);
      return c.json(errorBody('ERR_ARGUMENT_INVALID', problems.join('; '), 'correct the field named above (see GET /api/v1/openapi.json)'), 400);
    },
  });
  app.onError(answerError);
  app.notFound((c) => c.json(errorBody('ERR_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, 'see GET /api/v1/openapi.json for the paths'), 404));
  app.use('/api/v1/*', authenticate({ service: options.service, admins: options.admins }));
  registerEnrollRoute(app, options);
  registerCertRoutes(app, options);
  registerFleetRoutes(app, options);
  registerStreamRoute(app, options);
  registerDashboard(app, options);
  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'tlsmcp Hub', version: options.version, description: 'The tlsmcp control plane: certificates, fleet-wide revocation, policy, enrollment. Every call presents a client certificate from the Hub CA (enrollment excepted).' },
  });
  return app;
}
