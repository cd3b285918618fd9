/**
 * The Hub's push paths without a sidecar around them: the SSE stream resumes
 * from Last-Event-ID with nothing missed, the follower (the code `tlsmcp run`
 * uses) applies revocations and policy and keeps them on disk, and webhooks
 * get HMAC-signed POSTs, retried after a failure, with every delivery listed.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { createSilentLogger } from '../../src/logger.js';
import { normalizeSerial } from '../../src/ca/serial.js';
import { createHubFollower, type HubFollower } from '../../src/hub/follower.js';
import { readCredentials, readEnrollment, readFeedCache, readPolicies, sidecarHubPaths } from '../../src/hub/sidecar-files.js';
import { startCertRenewal } from '../../src/hub/cert-renewal.js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import type { Revocation } from '../../src/hub/types.js';
import { startInProcessHub, type InProcessHub } from '../helpers/hub-inprocess.js';
import { waitFor } from '../helpers/proxy-wait.js';

let fleet: InProcessHub | undefined;
let follower: HubFollower | undefined;
let hookServer: Server | undefined;

afterEach(async () => {
  await follower?.close();
  follower = undefined;
  await fleet?.close();
  fleet = undefined;
  hookServer?.close();
  hookServer = undefined;
});

async function issueAndRevoke(f: InProcessHub): Promise<string> {
  const issued = await f.admin.fetch(`${f.hub.url}/api/v1/certs/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'client', service: 'web' }) });
  const { id } = (await issued.json()) as { id: string };
  const res = await f.admin.fetch(`${f.hub.url}/api/v1/certs/${id}`, { method: 'DELETE' });
  return ((await res.json()) as { serial: string }).serial;
}

describe('the Hub stream', () => {
  it('resumes from Last-Event-ID with every entry after it, in order', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const first = await issueAndRevoke(f);
    const second = await issueAndRevoke(f);
    const third = await issueAndRevoke(f);
    const creds = readCredentials(sidecarHubPaths(stateDir));
    const http = createMtlsFetch({ caPem: creds.caPem, certPem: creds.instanceCertPem, keyPem: creds.keyPem });
    const seen: { id: string; serial: string }[] = [];
    // eventsource sends Last-Event-ID only on its own reconnects; a fetch wrapper sets it for the first connect too.
    const es = new EventSource(`${f.hub.url}/api/v1/stream`, {
      fetch: (url, init) => http.fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), 'last-event-id': '1' } }),
    });
    es.addEventListener('revocation', (e) => seen.push({ id: e.lastEventId, serial: (JSON.parse(e.data) as { data: Revocation }).data.serial }));
    await waitFor(() => seen.length >= 2, { what: 'the replayed revocations' });
    expect(seen).toEqual([
      { id: '2', serial: second },
      { id: '3', serial: third },
    ]);
    expect(seen.map((s) => s.serial)).not.toContain(first);
    const live = await issueAndRevoke(f);
    await waitFor(() => seen.length === 3, { what: 'the live revocation' });
    expect(seen[2]).toEqual({ id: '4', serial: live });
    es.close();
    await http.destroy();
  });

  it('feeds the follower revocations and policy, kept on disk with the cursor', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const before = await issueAndRevoke(f);
    const got: string[] = [];
    const policies: number[] = [];
    follower = createHubFollower({
      urls: [f.hub.url],
      stateDir,
      serviceIds: ['api'],
      syncIntervalMs: 200,
      reportIntervalMs: 100,
      logger: createSilentLogger(),
      onRevocations: (r) => got.push(...r.map((x) => x.serial)),
      onPolicy: (p) => policies.push(p.version),
    });
    follower.start();
    await waitFor(() => follower!.status().connected, { what: 'the follower to connect' });
    expect(got).toEqual([before]); // caught up from the delta on connect
    const after = await issueAndRevoke(f);
    await waitFor(() => got.includes(after), { what: 'the pushed revocation' });
    await f.admin.fetch(`${f.hub.url}/api/v1/policy/api`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ allowed_services: ['web'] }) });
    await waitFor(() => policies.includes(1), { what: 'the pushed policy' });
    const paths = sidecarHubPaths(stateDir);
    // Applied first, written right after: wait for the disk to catch up.
    await waitFor(() => readFeedCache(paths).cursor === 3, { what: 'the cursor on disk' });
    expect(readFeedCache(paths).revoked.map((r) => r.serial).sort()).toEqual([before, after].sort());
    expect(readPolicies(paths).api?.policy.allowed_services).toEqual(['web']);
    expect(follower.revokedSerials().sort()).toEqual([before, after].sort());
    // The follower reports its cursor: the Hub shows the instance in sync.
    await waitFor(
      async () => {
        const res = await f.admin.fetch(`${f.hub.url}/api/v1/instances`);
        const { instances } = (await res.json()) as { instances: { cursor: number | null; sync_latency_ms: number | null }[] };
        return instances[0]?.cursor === 3 && instances[0].sync_latency_ms === 0;
      },
      { what: 'the instance to report its cursor' },
    );
  });
});

describe('several Hub URLs', () => {
  it('moves on to the next URL when one does not answer, and catches up there', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const serial = await issueAndRevoke(f);
    // A port nothing listens on: the first URL refuses the connection.
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const deadPort = (dead.address() as AddressInfo).port;
    dead.close();
    const got: string[] = [];
    follower = createHubFollower({ urls: [`https://127.0.0.1:${deadPort}`, f.hub.url], stateDir, serviceIds: ['api'], syncIntervalMs: 100, logger: createSilentLogger(), onRevocations: (r) => got.push(...r.map((x) => x.serial)) });
    follower.start();
    await waitFor(() => follower!.status().connected, { what: 'the follower to reach the second URL' });
    expect(follower.status().url).toBe(f.hub.url);
    expect(got).toEqual([serial]);
  });
});

describe('server certificate renewal', () => {
  it('has the Hub renew the server certificate renew_before ahead of expiry, keeping the key', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const paths = sidecarHubPaths(stateDir);
    const before = new X509Certificate(readFileSync(paths.serverCert, 'utf8'));
    const enrolledId = readEnrollment(paths)!.server_cert_id;
    follower = createHubFollower({ urls: [f.hub.url], stateDir, serviceIds: ['api'], syncIntervalMs: 100, logger: createSilentLogger(), onRevocations: () => undefined });
    follower.start();
    // 25 days into a 30-day certificate renewed 10 days ahead: due now.
    const renewal = startCertRenewal({ paths, follower, renewBeforeMs: 10 * 86_400_000, retryMs: 100, logger: createSilentLogger(), clock: () => new Date(Date.now() + 25 * 86_400_000) });
    try {
      await waitFor(() => readEnrollment(paths)!.server_cert_id !== enrolledId, { what: 'the renewal' });
      const after = new X509Certificate(readFileSync(paths.serverCert, 'utf8'));
      expect(after.serialNumber).not.toBe(before.serialNumber);
      expect(after.publicKey.export({ type: 'spki', format: 'pem' })).toBe(before.publicKey.export({ type: 'spki', format: 'pem' }));
      const res = await f.admin.fetch(`${f.hub.url}/api/v1/instances`);
      const { instances } = (await res.json()) as { instances: { server_cert_id: string }[] };
      expect(instances[0]!.server_cert_id).toBe(readEnrollment(paths)!.server_cert_id);
    } finally {
      renewal.close();
    }
  });
});

describe('instance certificate renewal', () => {
  it('renews the instance certificate at two thirds of its life and follows the Hub with the new one', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const paths = sidecarHubPaths(stateDir);
    const before = new X509Certificate(readFileSync(paths.instanceCert, 'utf8'));
    const got: string[] = [];
    follower = createHubFollower({ urls: [f.hub.url], stateDir, serviceIds: ['api'], syncIntervalMs: 100, logger: createSilentLogger(), onRevocations: (r) => got.push(...r.map((x) => x.serial)) });
    follower.start();
    await waitFor(() => follower!.status().connected, { what: 'the follower to connect' });
    // 25 days into a 30-day instance certificate (renewed 10 days ahead); the server certificate (1 day ahead) is not due.
    const renewal = startCertRenewal({ paths, follower, renewBeforeMs: 86_400_000, retryMs: 100, logger: createSilentLogger(), clock: () => new Date(Date.now() + 25 * 86_400_000) });
    try {
      // The renewal writes the certificate, then the enrollment record, and the Hub rebinds the
      // instance: wait for all three rather than asserting between the writes.
      const settled = await waitFor(async () => {
        const after = new X509Certificate(readFileSync(paths.instanceCert, 'utf8'));
        if (after.serialNumber === before.serialNumber) return undefined;
        const res = await f.admin.fetch(`${f.hub.url}/api/v1/instances`);
        const { instances } = (await res.json()) as { instances: { cert_serial: string; cert_id: string }[] };
        const serial = normalizeSerial(after.serialNumber);
        return instances[0]?.cert_serial === serial && readEnrollment(paths)?.cert_id === instances[0]?.cert_id ? { serial, instance: instances[0] } : undefined;
      }, { what: 'the instance renewal, recorded on disk and by the Hub' });
      expect(settled.instance.cert_serial).toBe(settled.serial);
      // Followed with the new certificate: a revocation still arrives.
      const serial = await issueAndRevoke(f);
      await waitFor(() => got.includes(serial), { what: 'a revocation after the renewal' });
    } finally {
      renewal.close();
    }
  });
});

describe('webhooks', () => {
  it('POSTs each revocation HMAC-signed, retries after a failure, and lists the deliveries', async () => {
    const received: { body: string; signature: string; eventId: string }[] = [];
    let calls = 0;
    hookServer = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        calls++;
        if (calls === 1) {
          res.writeHead(503).end();
          return;
        }
        received.push({ body, signature: String(req.headers['x-tlsmcp-signature']), eventId: String(req.headers['x-tlsmcp-event-id']) });
        res.writeHead(204).end();
      });
    });
    hookServer.listen(0, '127.0.0.1');
    await once(hookServer, 'listening');
    const secret = 'a-webhook-secret-of-some-length';
    fleet = await startInProcessHub({ webhooks: [{ url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`, secret }] });
    const f = fleet;
    const serial = await issueAndRevoke(f);
    await waitFor(() => received.length === 1, { what: 'the retried delivery' });
    const [delivery] = received;
    expect(delivery!.signature).toBe('sha256=' + createHmac('sha256', secret).update(delivery!.body).digest('hex'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'revocation', seq: 1, data: { serial } });
    expect(delivery!.eventId).toBe('1');
    await f.hub.webhooks.idle();
    const res = await f.admin.fetch(`${f.hub.url}/api/v1/webhooks/deliveries`);
    const { deliveries } = (await res.json()) as { deliveries: { status: string; attempts: number; seq: number; last_error: string | null }[] };
    expect(deliveries).toEqual([expect.objectContaining({ seq: 1, status: 'delivered', attempts: 2, last_error: null })]);
  });
});
