import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeHttp } from '../../src/http-proxy/health-probe.js';

describe("a proxy worker's modules", () => {
  it("load no undici (Node's fetch stack) and no node:http, for the server (js and native) and client listeners", () => {
    // A fresh process: the test runner has loaded everything already.
    const src = (file: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src', file)).href);
    const script = `
      await import(${src('protocol/worker-runner.ts')});
      const { proxyWorkerKind } = await import(${src('proxy/worker-kind.ts')});
      const { loadProxyService } = await import(${src('proxy/listener-kind.ts')});
      await import(${src('proxy/server-proxy.ts')});
      await import(${src('native/native-proxy.ts')});
      await import(${src('proxy/client-proxy.ts')});
      await import(${src('util/heap-compact.ts')});
      process.stdout.write(JSON.stringify({ kind: proxyWorkerKind.name, load: typeof loadProxyService, undici: process.moduleLoadList.some((m) => m.includes('undici')), http: process.moduleLoadList.includes('NativeModule http') }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as unknown;
    expect(out).toEqual({ kind: 'tlsmcp-worker', load: 'function', undici: false, http: false });
  });

  it('still probe backend.health_path over HTTP: up on 2xx, down with the status otherwise', async () => {
    let status = 204;
    const backend = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end());
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    try {
      const at = { host: '127.0.0.1', port: (backend.address() as AddressInfo).port };
      expect(await probeHttp(at, '/healthz', 5_000)).toBeUndefined();
      status = 503;
      expect(await probeHttp(at, '/healthz', 5_000)).toBe(`backend 127.0.0.1:${at.port}/healthz answered HTTP 503`);
    } finally {
      backend.close();
    }
  });
});
