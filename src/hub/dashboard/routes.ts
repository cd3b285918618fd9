/**
 * The fleet dashboard at `/`: server-rendered pages for people holding an
 * admin client certificate (the same check as the admin API), live through the
 * Hub's own event stream, every asset served here. The one action, revoking a
 * certificate, goes through a confirmation page and a same-origin POST (CSRF:
 * a browser presents the client certificate to any page that submits a form).
 */
import type { Context } from 'hono';
import { csrf } from 'hono/csrf';
import { revocationReasonSchema } from '../../ca/types.js';
import { authenticate, requireAdmin } from '../auth.js';
import type { HubEnv } from '../hub-env.js';
import type { HubApp, RouteDeps } from '../routes/common.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { DASHBOARD_PAGES, layout, type Html } from './layout.js';
import { activityPage, auditPage, certsPage, filterEvents, fleetPage, revokeConfirmPage, scorePage, type AuditFilters } from './pages.js';

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** An instance not seen for this long shows as stale (three default sync intervals). */
const STALE_AFTER_MS = 90_000;

export function registerDashboard(app: HubApp, deps: RouteDeps & { admins: string[] }): void {
  const { service, version } = deps;
  const auth = authenticate({ service, admins: deps.admins });
  const paths = [...DASHBOARD_PAGES.map((p) => p.path), '/certs/*', '/assets/*'];
  for (const path of paths) {
    app.use(path, auth, async (c, next) => {
      requireAdmin(c.get('caller'), 'the dashboard');
      await next();
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    });
  }
  app.use('/certs/*', csrf());

  const page = async (c: Context<HubEnv>, title: string, body: Html) =>
    c.html(layout({ title, path: new URL(c.req.url).pathname, cursor: await service.store.lastSeq(), version, body }));

  app.get('/assets/dashboard.css', (c) => c.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get('/assets/dashboard.js', (c) => c.body(DASHBOARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));

  app.get('/', async (c) => page(c, 'Fleet', fleetPage(await service.instances(), new Date(), STALE_AFTER_MS)));

  app.get('/certs', async (c) => {
    const revoked = c.req.query('revoked');
    return page(c, 'Certificates', certsPage(await service.ca.list(), revoked ? `Revoked ${revoked}; the sidecars following the Hub cut its connections.` : undefined));
  });

  app.get('/certs/:id/revoke', async (c) => page(c, 'Revoke', revokeConfirmPage(await service.get(c.req.param('id')))));

  app.post('/certs/:id/revoke', async (c) => {
    const form = await c.req.parseBody();
    const reason = revocationReasonSchema.catch('unspecified').parse(form.reason);
    const revoked = await service.revoke(c.req.param('id'), reason);
    deps.logger.info({ event: 'hub_dashboard_revoke', id: revoked.id, serial: revoked.serial, by: c.get('caller').serial }, 'certificate revoked from the dashboard');
    return c.redirect(`/certs?revoked=${encodeURIComponent(revoked.id)}`, 303);
  });

  app.get('/audit', async (c) => {
    const q = c.req.query();
    const filters: AuditFilters = { cn: q.cn || undefined, service: q.service || undefined, result: q.result || undefined, since: q.since || undefined, until: q.until || undefined };
    const events = await service.store.listEvents({ limit: 1000 });
    return page(c, 'Audit log', auditPage(filterEvents(events, filters), filters, events.length));
  });

  app.get('/activity', async (c) => page(c, 'Policy & webhooks', activityPage(await service.store.feedSince(0), await service.store.listDeliveries())));

  app.get('/score', async (c) => page(c, 'Score', scorePage(await service.score())));
}
