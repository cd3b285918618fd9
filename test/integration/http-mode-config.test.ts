/**
 * The config side of HTTP mode: `backend.protocol: http` reaches the worker as
 * `spec.http` (with `backend.xfcc` and `backend.health_path`), `tcp` stays the
 * default, and `backend.health_path` makes the health check an HTTP GET that
 * marks a backend answering 503 as down (a real worker kind on 127.0.0.1).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createRevocationFeed } from '../../src/core/revocation.js';
import { createSilentLogger } from '../../src/logger.js';
import { proxyWorkerKind } from '../../src/proxy/worker-kind.js';
import { workerSpecOf } from '../../src/supervisor/worker-spec.js';
import { createTestPki } from '../helpers/ca-fixture.js';
import { serverMaterial, testSpec } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('backend.protocol: http in the config', () => {
  it('reaches the worker as spec.http with the xfcc elements and health path; tcp is the default', () => {
    const config = parseConfig({
      services: [
        { name: 'web', listen: '127.0.0.1:8443', backend: { address: '127.0.0.1:8080', protocol: 'http', xfcc: ['hash', 'uri'], health_path: '/healthz' } },
        { name: 'plain', listen: '127.0.0.1:8444', backend: '127.0.0.1:8081' },
      ],
    });
    const [web, plain] = config.services.map((svc) => workerSpecOf(svc, config));
    expect(web!.http).toEqual({ xfcc: ['hash', 'uri'], health_path: '/healthz' });
    expect(web!.health_check).toEqual({ interval: 2_000, timeout: 1_000 });
    expect(plain!.http).toBeUndefined();
    expect(plain!.health_check).toBeUndefined();
  });

  it('defaults the XFCC elements to hash, subject, uri and dns', () => {
    const config = parseConfig({ services: [{ name: 'web', listen: '127.0.0.1:8443', backend: { address: '127.0.0.1:8080', protocol: 'http' } }] });
    expect(workerSpecOf(config.services[0]!, config).http).toEqual({ xfcc: ['hash', 'subject', 'uri', 'dns'] });
  });

  it('refuses an unknown XFCC element, naming the key', () => {
    expect(() => parseConfig({ services: [{ name: 'web', listen: '127.0.0.1:8443', backend: { address: '127.0.0.1:8080', protocol: 'http', xfcc: ['cert'] } }] })).toThrow(/backend\.xfcc/);
  });
});

describe('backend.health_path', () => {
  it('is an HTTP GET: a backend answering 503 is down, then up once it answers 200', async () => {
    const pki = await createTestPki();
    cleanups.push(() => pki.cleanup());
    let status = 503;
    const paths: string[] = [];
    const backend: Server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => backend.close(() => resolve())));
    const health: { ready: boolean; reason?: string | undefined }[] = [];
    const spec = testSpec({
      backendPort: (backend.address() as AddressInfo).port,
      http: { xfcc: ['hash'], health_path: '/healthz' },
      health_check: { interval: 50, timeout: 1_000 },
    });
    const worker = proxyWorkerKind.create({
      spec,
      material: serverMaterial(await pki.server(), [pki.caPem]),
      revocations: createRevocationFeed(),
      logger: createSilentLogger(),
      onEvent: () => undefined,
      onHealth: (ready, reason) => health.push({ ready, reason }),
    });
    const started = await worker.start();
    cleanups.push(async () => void (await worker.drain(0)));
    expect(started.backendReady).toBe(false);
    expect(started.reason).toMatch(/\/healthz answered HTTP 503/);
    expect(paths).toContain('/healthz');
    status = 200;
    await waitFor(() => health.find((h) => h.ready), { what: 'the backend to be marked up' });
  });
});
