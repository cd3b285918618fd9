/**
 * A sidecar's certificate renewal survives losing the Hub's answer. The Hub
 * rebinds an instance to its renewed certificate before it answers; when the
 * answer never arrives (the Hub restarted, the connection was dropped) the
 * sidecar still holds the previous certificate. It must be able to follow the
 * Hub and ask again, and the repeated renewal must hand it the certificate
 * already issued. And the follower's own reconnect must never be what drops it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeSerial } from '../../src/ca/serial.js';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { renewAheadMs, startCertRenewal } from '../../src/hub/cert-renewal.js';
import { createHubFollower, type HubFollower } from '../../src/hub/follower.js';
import { readEnrollment, sidecarHubPaths, writeEnrollment } from '../../src/hub/sidecar-files.js';
import { createSilentLogger } from '../../src/logger.js';
import { startInProcessHub, type InProcessHub } from '../helpers/hub-inprocess.js';
import { waitFor } from '../helpers/proxy-wait.js';

const DAY = 86_400_000;
let fleet: InProcessHub | undefined;
let follower: HubFollower | undefined;

afterEach(async () => {
  await follower?.close();
  follower = undefined;
  await fleet?.close();
  fleet = undefined;
});

interface Issued {
  id: string;
  serial: string;
  cert_pem: string;
}

async function hubInstance(f: InProcessHub): Promise<{ cert_serial: string; cert_id: string; server_cert_id: string }> {
  const res = await f.admin.fetch(`${f.hub.url}/api/v1/instances`);
  return ((await res.json()) as { instances: { cert_serial: string; cert_id: string; server_cert_id: string }[] }).instances[0]!;
}

/** Certificates the Hub's CA has issued (the Hub lists none over HTTP). */
async function certCount(f: InProcessHub): Promise<number> {
  return (await f.hub.service.ca.list()).length;
}

function startFollower(stateDir: string): HubFollower {
  follower = createHubFollower({ urls: [fleet!.hub.url], stateDir, serviceIds: ['api'], syncIntervalMs: 100, logger: createSilentLogger(), onRevocations: () => undefined });
  follower.start();
  return follower;
}

describe('a renewal whose answer was lost', () => {
  it('leaves the sidecar following the Hub with its previous certificate, and the retry gets the certificate already issued', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir, http } = await f.enroll('api');
    const paths = sidecarHubPaths(stateDir);
    const enrolled = readEnrollment(paths)!;
    // The instance asks for its renewal and the answer is dropped: the Hub has rebound it, the sidecar's files have not moved.
    const lost = await http.fetch(`${f.hub.url}/api/v1/certs/renew`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: enrolled.cert_id }) });
    expect(lost.status).toBe(200);
    const renewed = (await lost.json()) as Issued;
    expect((await hubInstance(f)).cert_serial).toBe(renewed.serial);
    const held = normalizeSerial(new X509Certificate(readFileSync(paths.instanceCert, 'utf8')).serialNumber);
    expect(held).not.toBe(renewed.serial);
    const issuedBefore = await certCount(f);

    // Still the instance for the Hub: it follows the stream with the certificate it holds.
    const fol = startFollower(stateDir);
    await waitFor(() => fol.status().connected, { what: 'the follower to connect with the previous certificate' });

    // The retry (25 days into the 30-day certificate: due) is answered with the certificate already issued.
    const renewal = startCertRenewal({ paths, follower: fol, renewBeforeMs: DAY, retryMs: 100, logger: createSilentLogger(), clock: () => new Date(Date.now() + 25 * DAY) });
    try {
      await waitFor(() => readEnrollment(paths)!.cert_id === renewed.id, { what: 'the sidecar to record the renewed certificate' });
      expect(readFileSync(paths.instanceCert, 'utf8').trim()).toBe(renewed.cert_pem.trim());
      expect(await certCount(f)).toBe(issuedBefore);
      await waitFor(() => fol.status().connected, { what: 'the follower to reconnect with the renewed certificate' });
    } finally {
      renewal.close();
    }
  });

  it('is not a way in once the previous certificate is revoked, nor two renewals back', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir, http } = await f.enroll('api');
    const enrolled = readEnrollment(sidecarHubPaths(stateDir))!;
    const renew = (id: string) => http.fetch(`${f.hub.url}/api/v1/certs/renew`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
    const first = (await (await renew(enrolled.cert_id)).json()) as Issued;
    // The previous certificate still reaches the Hub...
    expect((await http.fetch(`${f.hub.url}/api/v1/policy/api`)).status).toBe(200);
    // ...until the instance has been renewed twice (only the generation just before the current one is known by its successor).
    const key = readFileSync(sidecarHubPaths(stateDir).key, 'utf8');
    const ca = readFileSync(sidecarHubPaths(stateDir).ca, 'utf8');
    const withFirst = createMtlsFetch({ certPem: first.cert_pem, keyPem: key, caPem: ca });
    try {
      const second = (await (await withFirst.fetch(`${f.hub.url}/api/v1/certs/renew`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: first.id }) })).json()) as Issued;
      expect((await hubInstance(f)).cert_serial).toBe(second.serial);
      const twoBack = await http.fetch(`${f.hub.url}/api/v1/policy/api`);
      expect(twoBack.status).toBe(403);
      expect(((await twoBack.json()) as { error: { code: string } }).error.code).toBe('ERR_FORBIDDEN');
      // One back, but revoked: refused as revoked.
      expect((await withFirst.fetch(`${f.hub.url}/api/v1/policy/api`)).status).toBe(200);
      expect((await f.admin.fetch(`${f.hub.url}/api/v1/certs/${first.id}`, { method: 'DELETE' })).status).toBe(200);
      const revoked = await withFirst.fetch(`${f.hub.url}/api/v1/policy/api`);
      expect(revoked.status).toBe(401);
    } finally {
      await withFirst.destroy();
    }
  });

  it('a Hub-CA client certificate that is no instance one is refused without a walk through the CA inventory', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const issued = await f.admin.fetch(`${f.hub.url}/api/v1/certs/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'client', service: 'web' }) });
    const app = (await issued.json()) as Issued & { key_pem: string; ca_pem: string };
    const ca = f.hub.service.ca;
    const list = ca.list.bind(ca);
    let lists = 0;
    ca.list = (filter) => {
      lists++;
      return list(filter);
    };
    const client = createMtlsFetch({ certPem: app.cert_pem, keyPem: app.key_pem, caPem: app.ca_pem });
    try {
      const res = await client.fetch(`${f.hub.url}/api/v1/policy/web`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/neither a Hub admin nor an enrolled instance/);
      expect(lists).toBe(0);
    } finally {
      ca.list = list;
      await client.destroy();
    }
  });

  it('the follower reconnecting does not drop a renewal in flight', async () => {
    fleet = await startInProcessHub();
    const f = fleet;
    const { stateDir } = await f.enroll('api');
    const paths = sidecarHubPaths(stateDir);
    const fol = startFollower(stateDir);
    await waitFor(() => fol.status().connected, { what: 'the follower to connect' });
    for (let i = 0; i < 5; i++) {
      const { server_cert_id } = readEnrollment(paths)!;
      const pending = fol.request<Issued>('POST', '/api/v1/certs/renew', { id: server_cert_id });
      fol.reconnect();
      const issued = await pending;
      expect((await hubInstance(f)).server_cert_id).toBe(issued.id);
      writeEnrollment(paths, { ...readEnrollment(paths)!, server_cert_id: issued.id });
      await waitFor(() => fol.status().connected, { what: 'the follower to reconnect' });
    }
  });
});

describe('when a certificate is renewed', () => {
  const cert = (days: number) => {
    const from = new Date();
    return { validFrom: from.toUTCString(), validTo: new Date(from.getTime() + days * DAY).toUTCString() } as X509Certificate;
  };

  it('renews renew_before ahead when that is shorter than the certificate life', () => {
    expect(renewAheadMs('server', 10 * DAY, cert(30))).toBe(10 * DAY);
  });

  it('renews at two thirds of the life when renew_before is as long as it (the sidecar default against the Hub default), not at every start', () => {
    expect(renewAheadMs('server', 30 * DAY, cert(30))).toBeCloseTo(10 * DAY, -4);
    expect(renewAheadMs('instance', 30 * DAY, cert(30))).toBeCloseTo(10 * DAY, -4);
  });

  it('renews the instance certificate at two thirds of its life at the latest', () => {
    expect(renewAheadMs('instance', DAY, cert(30))).toBeCloseTo(10 * DAY, -4);
  });
});
