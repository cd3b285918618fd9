/**
 * The three config files of the product's documents load with the meaning the
 * documents give them, through `tlsmcp config check` (effective values
 * asserted) and `tlsmcp run` (a real proxy: clients with certificates the
 * project issues get through, or are refused, as the file says).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client as UndiciClient } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IssueResult } from '../../src/ca/types.js';
import { createCliSandbox, type CliSandbox } from '../helpers/cli.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tryEcho } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';
import { shortForm, specForm, walkthroughForm } from '../helpers/seeds-forms.js';

const DAY = 86_400_000;

interface CheckOk {
  ok: true;
  notices: { path: string; message: string }[];
  config: {
    hub?: string;
    hub_settings: { urls: string[]; auth_token?: string; sync_interval: number };
    service_id?: string;
    services: {
      name: string;
      listen: { address: { host: string; port: number }; protocol: string; ciphersuites?: string };
      backend: { address: { host: string; port: number }; protocol?: string; health_check?: object };
      mtls: { mode: string; allowed_services?: string[]; required_cn_pattern?: string; revocation_refresh: number };
      server_cert: { provider: string; auto_renew: boolean; renew_before: number; dns?: string[] };
    }[];
    client_cert: { default_ttl: number; min_ttl: number; max_ttl: number; auto_renew: boolean; renew_before?: number };
    logging: { level: string; format: string; audit: boolean };
    mcp: { enabled: boolean; transport: string; self_secure: boolean; sse_address: { port: number } };
    admin: { address: { host: string; port: number } };
  };
}

// Spawned CLIs and `tlsmcp run` start slowly on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let sb: CliSandbox;
beforeEach(() => {
  sb = createCliSandbox('tlsmcp-forms-');
});
afterEach(() => sb.cleanup());

function write(name: string, text: string): string {
  const file = join(sb.dir, name);
  writeFileSync(file, text);
  return file;
}

describe('tlsmcp config check: the three documented forms', () => {
  it('short form: listen ":18443" is every interface and "mtls: required" is { mode: required }', async () => {
    const file = write('short.yaml', shortForm(':18443', 'localhost:3000'));
    const out = await sb.json<CheckOk>(['config', 'check', '--config', file, '--json']);
    const svc = out.config.services[0]!;
    expect(svc.name).toBe('api');
    expect(svc.listen.address).toEqual({ host: '', port: 18443 });
    expect(svc.backend.address).toEqual({ host: 'localhost', port: 3000 });
    expect(svc.mtls.mode).toBe('required');
    const human = await sb.run(['config', 'check', '--config', file]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('address: :18443');
  });

  it("specification form: hub, listen, backend.protocol http (the HTTP-aware listener), mtls allowlist, letsencrypt server_cert, TTLs, logging, mcp", async () => {
    const out = await sb.json<CheckOk>(['config', 'check', '--config', write('spec.yaml', specForm()), '--json']);
    const { config } = out;
    const svc = config.services[0]!;
    expect(config.hub).toBe('https://hub.cyphers.ai');
    expect(config.hub_settings).toEqual({ urls: ['https://hub.cyphers.ai'], auth_token: '[redacted]', sync_interval: 60_000 });
    expect(svc).toMatchObject({ name: 'api-prod-01', listen: { address: { host: '0.0.0.0', port: 18443 }, protocol: 'tls13' } });
    expect(svc.backend).toMatchObject({ address: { host: '127.0.0.1', port: 3000 }, protocol: 'http' });
    expect(svc.mtls).toEqual({ mode: 'required', allowed_services: ['payment-api', 'auth-service'], revocation_refresh: 5 * 60_000 });
    expect(svc.server_cert).toMatchObject({ provider: 'letsencrypt', auto_renew: true, renew_before: 30 * DAY, dns: ['api.example.com'] });
    expect(config.client_cert).toMatchObject({ default_ttl: DAY, max_ttl: 720 * 3_600_000 });
    expect(config.logging).toMatchObject({ level: 'info', format: 'json' });
    expect(config.mcp).toMatchObject({ enabled: true, transport: 'stdio', self_secure: false, sse_address: { port: 3001 } });
    // backend.protocol: http is the HTTP-aware listener now: no notice about raw forwarding.
    expect(out.notices.map((n) => n.path)).not.toContain('backend.protocol');
    // The token is never printed.
    const human = await sb.run(['config', 'check', '--config', join(sb.dir, 'spec.yaml')]);
    expect(human.stdout).not.toContain('tlsmcp_xxxxxxxxxxxx');
  });

  it('walkthrough form: the ambiguous allowed_duration {min: 1h, max: 12m} is reported with the 8760h hint, exit 1', async () => {
    const file = write('walk.yaml', walkthroughForm());
    const json = await sb.run(['config', 'check', '--config', file, '--json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: false; problems: { path: string; message: string }[] };
    expect(body.ok).toBe(false);
    expect(body.problems).toEqual([{ path: 'certificate_policies.client.allowed_duration.max', message: expect.stringContaining('write 8760h') }]);
    const human = await sb.run(['config', 'check', '--config', file]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('12m is 12 minutes');
  });

  it('walkthrough form with max: 8760h: flat keys mapped onto tlsmcp keys (mode, CN pattern, suites, TTLs, renewal, hub, metrics)', async () => {
    const out = await sb.json<CheckOk>(['config', 'check', '--config', write('walk.yaml', walkthroughForm({ max: '8760h' })), '--json']);
    const { config } = out;
    const svc = config.services[0]!;
    expect(svc.name).toBe('api-prod-01');
    expect(svc.listen).toEqual({ address: { host: '', port: 18443 }, protocol: 'tls13', ciphersuites: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' });
    expect(svc.mtls).toMatchObject({ mode: 'required', required_cn_pattern: '^.*\\.prod$' });
    expect(svc.backend).toMatchObject({ protocol: 'http', health_check: { interval: 2000, timeout: 1000 } });
    expect(svc.server_cert.renew_before).toBe(30 * DAY);
    expect(config.client_cert).toMatchObject({ min_ttl: 3_600_000, max_ttl: 8760 * 3_600_000, auto_renew: true, renew_before: 5 * 60_000 });
    expect(config.hub).toBe('https://hub.cyphers.ai');
    expect(config.logging.audit).toBe(true);
    expect(config.admin.address).toEqual({ host: '127.0.0.1', port: 19090 });
    expect(out.notices.map((n) => n.path)).toEqual(expect.arrayContaining(['logging.metrics_port']));
    expect(out.notices.map((n) => n.path)).not.toContain('backend.health_path');
  });

  it('TLSMCP_CONFIG names the file; HUB_URL and SERVICE_ID override it (containers)', async () => {
    const file = write('walk.yaml', walkthroughForm({ max: '8760h' }));
    const out = await sb.json<CheckOk>(['config', 'check', '--json'], { env: { TLSMCP_CONFIG: file, HUB_URL: 'https://hub.internal.example', SERVICE_ID: 'api-01' } });
    expect(out.config.hub).toBe('https://hub.internal.example');
    expect(out.config.service_id).toBe('api-01');
    expect(out.config.services[0]!.name).toBe('api-01');
    expect(out.notices).toContainEqual({ path: 'hub.url', message: 'set from HUB_URL (https://hub.internal.example)' });
  });

  it('unknown keys get did-you-mean hints, and every problem comes in one pass', async () => {
    const file = write('bad.yaml', ['domains: [api.example.com]', 'audit_enabled: true', 'listen: ":0"', 'backend: localhost:3000', 'limits: { dial_timeout: 0ms }', 'client_cert: { min_ttl: 2d, max_ttl: 1d }', ''].join('\n'));
    const res = await sb.run(['config', 'check', '--config', file, '--json']);
    expect(res.code).toBe(1);
    const { problems } = JSON.parse(res.stdout) as { problems: { path: string; message: string }[] };
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'domains', message: 'is not a known key: did you mean "server_cert.dns"?' },
        { path: 'audit_enabled', message: 'is not a known key: did you mean "logging.audit"?' },
        { path: 'limits.dial_timeout', message: expect.stringContaining('1ms-10m') },
        { path: 'client_cert.min_ttl', message: expect.stringContaining('greater than client_cert.max_ttl') },
      ]),
    );
  });

  it('binds nothing and writes nothing: the state dir is not created', async () => {
    const file = write('short.yaml', shortForm(':18443', 'localhost:3000'));
    await sb.json(['config', 'check', '--config', file, '--json']);
    expect(existsSync(sb.stateDir)).toBe(false);
  });
});

describe('tlsmcp run: the documented forms serve as they say', () => {
  let pki: TestPki;
  let backend: CountingBackend;
  let running: RunningTlsmcp | undefined;

  beforeEach(async () => {
    pki = await createTestPki();
    backend = await startEchoBackend();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await backend.close();
    pki.cleanup();
  });

  async function run(configText: string): Promise<number> {
    running = await startTlsmcpRun({ dir: pki.dir, stateDir: pki.stateDir, config: [configText] });
    return running.port;
  }

  it('short form (listen ":0" on every interface, mtls: required): a client with a certificate is served, one without is refused', async () => {
    const port = await run(shortForm(':0', `localhost:${backend.port}`).replace('services:', 'admin: { address: "127.0.0.1:0" }\nservices:'));
    const client = await pki.client('web');
    const r = await tryEcho({ port, caPem: pki.caPem, cert: client });
    expect(r).toMatchObject({ echoed: true });
    expect((await tryEcho({ port, caPem: pki.caPem })).echoed).toBe(false);
  });

  it('walkthrough form (Hub lines aside): required_cn_pattern ^.*\\.prod$ lets web.prod in and keeps web.dev out; HTTP mode with health_path', async () => {
    const metricsPort = await freePort();
    // backend.protocol: http with health_path /health: an HTTP backend that answers it.
    const app = createHttpServer((req, res) => res.writeHead(200).end(`app ${req.url} for ${String(req.headers['x-forwarded-client-cert']).split(';')[1]}`));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      const appPort = (app.address() as { port: number }).port;
      const port = await run(walkthroughForm({ listen: ':0', backend: `127.0.0.1:${appPort}`, max: '8760h', metricsPort, hub: false }));
      const get = async (cert: IssueResult) => {
        const client = new UndiciClient(`https://127.0.0.1:${port}`, { connect: { ca: pki.caPem, cert: cert.certPem, key: cert.keyPem, servername: 'localhost' } });
        try {
          const res = await client.request({ method: 'GET', path: '/x' });
          return await res.body.text();
        } catch (err) {
          return `failed: ${(err as Error).message}`;
        } finally {
          await client.destroy();
        }
      };
      expect(await waitFor(async () => { const body = await get(await pki.client('web.prod')); return body.startsWith('app') && body; }, { timeoutMs: 20_000, what: 'the backend to be healthy' })).toBe('app /x for Subject="CN=web.prod"');
      expect(await get(await pki.client('web.dev'))).toMatch(/^failed/);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
    } finally {
      app.closeAllConnections();
      await new Promise<void>((resolve) => app.close(() => resolve()));
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
