/**
 * The fleet dashboard in real Chromium (Debian's `chromium`, driven by
 * playwright-core, headless) presenting the admin certificate `hub init`
 * wrote: it sees the enrolled instance, revokes a certificate from the page
 * through the confirmation, and that sidecar's live connection is cut. A
 * screenshot of each page lands in test-artifacts/dashboard/ (gitignored).
 * Without a certificate, or with a sidecar's, the dashboard is refused.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { sidecarHubPaths } from '../../src/hub/sidecar-files.js';
import { REPO_ROOT } from '../helpers/cli.js';
import {
  adminApi,
  createToken,
  echoes,
  enrollSidecar,
  hubInit,
  issueClientCert,
  openEcho,
  startHubProcess,
  startSidecarProcess,
  type AdminApi,
  type HubProcess,
  type SidecarProcess,
} from '../helpers/hub-fleet.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { within } from '../helpers/proxy-wait.js';

const SERVICE = 'api';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'dashboard');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'];

let dir: string;
let hubState: string;
let hub: HubProcess;
let api: AdminApi;
let backend: CountingBackend;
let sidecar: SidecarProcess;
let browser: Browser;
let admin: BrowserContext;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-dashboard-'));
  hubState = join(dir, 'hub');
  backend = await startEchoBackend();
  await hubInit(hubState);
  hub = await startHubProcess(hubState);
  api = adminApi(hubState, hub.url);
  mkdirSync(join(dir, 'sidecar'));
  const enrolled = await enrollSidecar(join(dir, 'sidecar'), hub.url, SERVICE, await createToken(hubState, SERVICE));
  if (enrolled.code !== 0) throw new Error(`enrollment failed: ${enrolled.stderr}`);
  sidecar = await startSidecarProcess({ dir: join(dir, 'sidecar'), hubUrl: hub.url, serviceId: SERVICE, backendPort: backend.port });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  // The Hub's server certificate is from its own CA, which this browser profile does not trust.
  admin = await browser.newContext({
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: hub.url, certPath: join(hubState, 'admin', 'cert.pem'), keyPath: join(hubState, 'admin', 'key.pem') }],
  });
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await browser?.close();
  await sidecar?.stop();
  await hub?.stop();
  await api?.http.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the fleet dashboard in Chromium', () => {
  it('shows the enrolled instance on the fleet page, live', async () => {
    const page = await admin.newPage();
    await page.goto(`${hub.url}/`);
    const instances = (await api.call<{ instances: { id: string }[] }>('GET', '/api/v1/instances')).body.instances;
    expect(instances).toHaveLength(1);
    await page.locator(`tr[data-instance="${instances[0]!.id}"]`).waitFor();
    expect(await page.locator(`tr[data-instance="${instances[0]!.id}"]`).innerText()).toContain(SERVICE);
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'fleet.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it("revokes a certificate from the page, after confirming, and the sidecar's live connection is cut", async () => {
    const cert = await issueClientCert(api, 'client-app');
    const live = await openEcho(sidecar.port, cert);
    const cut = once(live, 'close');
    const page = await admin.newPage();
    await page.goto(`${hub.url}/certs`);
    const row = page.locator(`tr[data-cert="${cert.id}"]`);
    expect(await row.innerText()).toContain('valid');
    await page.screenshot({ path: join(ARTIFACTS, 'certs.png'), fullPage: true });
    await row.getByRole('link', { name: 'Revoke…' }).click();
    await page.locator('#confirm-revoke').waitFor();
    expect(await page.locator('main').innerText()).toContain(cert.serial);
    await page.screenshot({ path: join(ARTIFACTS, 'revoke-confirm.png'), fullPage: true });
    await page.selectOption('select[name=reason]', 'keyCompromise');
    await page.click('#confirm-revoke');
    await within(cut, 5_000, "the sidecar's live connection cut after the revocation from the page");
    await page.locator('p.notice').waitFor();
    expect(await page.locator(`tr[data-cert="${cert.id}"]`).innerText()).toContain('revoked');
    await page.screenshot({ path: join(ARTIFACTS, 'certs-revoked.png'), fullPage: true });
    expect(await echoes(sidecar.port, cert)).toBe(false);
    expect((await api.call<{ status: string; revoked?: { reason: string } }>('GET', `/api/v1/certs/${cert.id}`)).body).toMatchObject({ status: 'revoked', revoked: { reason: 'keyCompromise' } });
    await page.close();
  }, 60_000);

  it('updates an open page when a revocation arrives on the stream', async () => {
    const cert = await issueClientCert(api, 'client-app');
    const page = await admin.newPage();
    await page.goto(`${hub.url}/certs`);
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    expect(await page.locator(`tr[data-cert="${cert.id}"]`).innerText()).toContain('valid');
    expect((await api.call('DELETE', `/api/v1/certs/${cert.id}`)).status).toBe(200);
    await page.locator(`tr[data-cert="${cert.id}"] td.status-revoked`).waitFor({ timeout: 10_000 });
    await page.close();
  }, 60_000);

  it('shows the audit log with filters, the policy timeline and the score', async () => {
    // Events as a sidecar reports them, with its instance certificate.
    const paths = sidecarHubPaths(sidecar.stateDir);
    const asInstance = createMtlsFetch({ caPem: readFileSync(paths.ca, 'utf8'), certPem: readFileSync(paths.instanceCert, 'utf8'), keyPem: readFileSync(paths.key, 'utf8') });
    const now = new Date().toISOString();
    const reported = await asInstance.fetch(`${hub.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          { kind: 'connection', time: now, service: SERVICE, result: 'ok', peer_cn: 'client-app', serial: 'aa' },
          { kind: 'handshake', time: now, service: SERVICE, result: 'refused', peer_cn: 'intruder', serial: 'bb' },
        ],
      }),
    });
    expect(reported.status).toBe(200);
    await asInstance.destroy();
    expect((await api.call('PUT', `/api/v1/policy/${SERVICE}`, { client_max_ttl: '24h', allowed_services: [] })).status).toBe(200);
    const page = await admin.newPage();
    await page.goto(`${hub.url}/audit`);
    await page.locator('#audit').waitFor();
    expect(await page.locator('#audit tbody').innerText()).toContain('intruder');
    await page.fill('input[name=cn]', 'client-app');
    await page.click('button[type=submit]');
    await page.waitForURL(/cn=client-app/);
    const rows = await page.locator('#audit tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toContain('client-app');
    expect(rows.join('\n')).not.toContain('intruder');
    await page.screenshot({ path: join(ARTIFACTS, 'audit.png'), fullPage: true });
    await page.goto(`${hub.url}/activity`);
    expect(await page.locator('#policies').innerText()).toContain('24h');
    await page.screenshot({ path: join(ARTIFACTS, 'activity.png'), fullPage: true });
    await page.goto(`${hub.url}/score`);
    expect(Number(await page.locator('#score').innerText())).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'score.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('refuses the dashboard to a sidecar certificate and a cross-site revoke', async () => {
    const paths = sidecarHubPaths(sidecar.stateDir);
    const asSidecar = await browser.newContext({ ignoreHTTPSErrors: true, clientCertificates: [{ origin: hub.url, certPath: paths.instanceCert, keyPath: paths.key }] });
    const res = await (await asSidecar.newPage()).goto(`${hub.url}/`);
    expect(res?.status()).toBe(403);
    await asSidecar.close();
    const cert = await issueClientCert(api, 'client-app');
    // A form posted from another origin carries the admin's certificate too: the Origin check refuses it.
    const forged = await admin.request.post(`${hub.url}/certs/${cert.id}/revoke`, { form: { reason: 'unspecified' }, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await api.call<{ status: string }>('GET', `/api/v1/certs/${cert.id}`)).body.status).toBe('valid');
  }, 60_000);
});
