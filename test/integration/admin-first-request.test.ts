import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = (file: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src', file)).href);

/** Runs an ES module in a fresh Node (through tsx): the test runner itself has loaded everything already. */
function fresh(script: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }));
}

const undiciLoaded = `() => process.moduleLoadList.some((m) => m.includes('undici'))`;

describe('what an idle admin endpoint loads', () => {
  it("node:http through src/util/node-http.ts serves without loading Node's fetch stack; an ESM import of node:http loads it", () => {
    const out = fresh(`
      const undici = ${undiciLoaded};
      const { nodeHttp } = await import(${src('util/node-http.ts')});
      const http = nodeHttp();
      const server = http.createServer((req, res) => res.end('ok'));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const body = await new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: server.address().port, path: '/' }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d)).on('end', () => resolve(text));
        }).on('error', reject);
      });
      server.close();
      const before = undici();
      await import('node:http');
      process.stdout.write(JSON.stringify({ body, before, afterEsmImport: undici() }));
    `);
    expect(out).toEqual({ body: 'ok', before: false, afterEsmImport: true });
  });

  it('binds at start, loads @hono/node-server at the first request, and answers GET and POST with a body the same way', () => {
    const out = fresh(`
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
      const undici = ${undiciLoaded};
      const nodeServer = () => urls.some((u) => u.includes('@hono/node-server'));
      const { startAdminServer } = await import(${src('admin/server.ts')});
      const { createProxyMetrics } = await import(${src('admin/metrics.ts')});
      const { createSilentLogger } = await import(${src('logger.ts')});
      const reloads = [];
      const admin = await startAdminServer({
        host: '127.0.0.1', port: 0, status: () => [], registry: createProxyMetrics({ defaultMetrics: false }).registry,
        reload: async (service) => { reloads.push(service); return []; },
        version: 'test', startedAt: new Date(), logger: createSilentLogger(),
      });
      const atStart = { undici: undici(), nodeServer: nodeServer() };
      const http = process.getBuiltinModule('node:http');
      const call = (method, path, body) => new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: admin.address.port, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      // Two at once: both wait for the one import.
      const [health, ready] = await Promise.all([call('GET', '/health'), call('GET', '/ready')]);
      const reload = await call('POST', '/reload', JSON.stringify({ service: 'api' }));
      const metrics = await call('GET', '/metrics');
      await admin.close();
      process.stdout.write(JSON.stringify({ atStart, health, ready, reload, reloads, metrics: metrics.body.includes('tlsmcp_connections_total'), after: { undici: undici(), nodeServer: nodeServer() } }));
    `);
    expect(out).toEqual({
      atStart: { undici: false, nodeServer: false },
      health: { status: 200, body: JSON.stringify({ status: 'ok' }) },
      ready: { status: 200, body: JSON.stringify({ ready: true, problems: [] }) },
      reload: { status: 200, body: JSON.stringify({ results: [] }) },
      reloads: ['api'],
      metrics: true,
      after: { undici: true, nodeServer: true },
    });
  });

  it('still refuses to start on a port that is taken', async () => {
    const { createServer } = await import('node:net');
    const { startAdminServer } = await import('../../src/admin/server.js');
    const { createProxyMetrics } = await import('../../src/admin/metrics.js');
    const { createSilentLogger } = await import('../../src/logger.js');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      await expect(
        startAdminServer({ host: '127.0.0.1', port, status: () => [], registry: createProxyMetrics({ defaultMetrics: false }).registry, reload: async () => [], version: 'test', startedAt: new Date(), logger: createSilentLogger() }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });
});
