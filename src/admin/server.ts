/**
 * The admin HTTP endpoint of a running sidecar (hono on @hono/node-server,
 * loopback by default): health, readiness, info, Prometheus metrics, the
 * status `tlsmcp status` shows, and POST /reload for `tlsmcp reload`.
 *
 * The port is bound at start (a taken port still fails the start), but
 * @hono/node-server loads at the first request: importing it materialises
 * Node's fetch classes (its bundled undici, ~0.8 MB of source and what it
 * compiles), which a sidecar nobody polls never needs; node:http comes through
 * src/util/node-http.ts for the same reason (bench/idle-footprint.ts).
 */
import { Hono } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { nodeHttp } from '../util/node-http.js';
import type { ReloadResult, ServiceStatus } from '../supervisor/types.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  status: () => ServiceStatus[];
  reload: (service?: string) => Promise<ReloadResult[]>;
  registry: Registry;
  version: string;
  startedAt: Date;
  logger: Logger;
  clock?: () => Date;
  /** Live figures and probe marks for `tlsmcp score` (GET /score/live, POST/DELETE /score/probes). */
  score?: ScoreAdminHooks;
  /** ACME services whose last attempt failed: /health names them (status `degraded`, still 200: the process is alive). */
  acmeFailures?: () => { service: string; failures: number; last_error: string | undefined; next_attempt: string | undefined }[];
  /** With hub.url set: whether the Hub is reachable, shown in /health (never in /ready: the sidecar serves on cached state). */
  hub?: () => HubHealth;
}

export interface HubHealth {
  reachable: boolean;
  url: string;
  last_sync: string | null;
  cursor: number;
  last_error: string | null;
}

export interface ScoreAdminHooks {
  live(): { revocation_loaded_at: string | null; live_serials: string[] | null };
  markProbes(peer: string): number;
  releaseProbes(id: number): boolean;
}

export interface AdminServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Ready means every worker is ready, no certificate has expired and no service is full (limits.max_connections established). */
export function readiness(status: ServiceStatus[]): { ready: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const s of status) {
    if (s.state !== 'ready') problems.push(`${s.name}: ${s.state}${s.state_reason ? ` (${s.state_reason})` : ''}`);
    else if (s.certificate.days_left !== undefined && s.certificate.not_after && Date.parse(s.certificate.not_after) <= Date.now()) {
      problems.push(`${s.name}: certificate expired at ${s.certificate.not_after}`);
    } else if (s.connections.max !== undefined && s.connections.active >= s.connections.max) {
      problems.push(`${s.name}: ${s.connections.active} established connections, at limits.max_connections (${s.connections.max})`);
    }
  }
  return { ready: problems.length === 0, problems };
}

export function createAdminApp(options: Omit<AdminServerOptions, 'host' | 'port'>): Hono {
  const clock = options.clock ?? (() => new Date());
  const app = new Hono();
  const hub = options.hub;
  app.get('/health', (c) => {
    const acme = options.acmeFailures?.() ?? [];
    return c.json({ status: acme.length ? 'degraded' : 'ok', ...(acme.length ? { acme_failures: acme } : {}), ...(hub ? { hub: hub() } : {}) });
  });
  app.get('/ready', (c) => {
    const { ready, problems } = readiness(options.status());
    return c.json({ ready, problems }, ready ? 200 : 503);
  });
  app.get('/info', (c) =>
    c.json({
      service: 'tlsmcp',
      version: options.version,
      pid: process.pid,
      uptime_s: Math.round((clock().getTime() - options.startedAt.getTime()) / 1000),
      services: options.status().map((s) => ({
        name: s.name,
        listen: s.listen,
        state: s.state,
        certificate: s.certificate,
      })),
    }),
  );
  app.get('/status', (c) => c.json({ services: options.status() }));
  const score = options.score;
  if (score) {
    app.get('/score/live', (c) => c.json({ ...score.live(), services: options.status() }));
    app.post('/score/probes', async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { peer?: unknown };
      if (typeof body.peer !== 'string' || body.peer.length === 0) return c.json({ error: 'body needs "peer": the source address of the probes' }, 400);
      try {
        return c.json({ id: score.markProbes(body.peer) });
      } catch (err) {
        return c.json({ error: (err as Error).message }, 400);
      }
    });
    app.delete('/score/probes/:id', (c) => c.json({ released: score.releaseProbes(Number(c.req.param('id'))) }));
  }
  app.get('/metrics', async (c) => c.body(await options.registry.metrics(), 200, { 'content-type': options.registry.contentType }));
  app.post('/reload', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { service?: unknown };
    const service = typeof body.service === 'string' ? body.service : undefined;
    try {
      return c.json({ results: await options.reload(service) });
    } catch (err) {
      return c.json({ error: (err as Error).message }, 500);
    }
  });
  return app;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const app = createAdminApp(options);
  // What serve() of @hono/node-server would install, made at the first request.
  let listener: Promise<RequestListener> | undefined;
  const loadListener = async () => (await import('@hono/node-server')).getRequestListener(app.fetch, { hostname: options.host });
  const server = nodeHttp().createServer((req, res) => {
    (listener ??= loadListener()).then(
      (handle) => handle(req, res),
      (err: unknown) => {
        options.logger.error({ event: 'admin_request_failed', err: (err as Error).message }, 'the admin endpoint cannot answer');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ event: 'admin_listening', address: `${options.host}:${port}` }, `admin endpoint on http://${options.host}:${port}`);
  return {
    address: { host: options.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
