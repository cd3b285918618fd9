/**
 * Two `tlsmcp hub serve` replicas on one throwaway PostgreSQL cluster (same
 * state dir = the shared CA) and two real `tlsmcp run` sidecars, one streaming
 * from each replica, every URL known to both: a revocation through replica A
 * cuts a live connection on the sidecar streaming from B within 1 s; a policy
 * change through B reaches the sidecar on A; B killed, its sidecar fails over
 * to A and misses nothing revoked meanwhile; both replicas restarted, nothing lost.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPolicies, sidecarHubPaths } from '../../src/hub/sidecar-files.js';
import { adminApi, echoes, enrollSidecar, issueClientCert, openEcho, startSidecarProcess, type AdminApi, type ClientCert, type HubProcess, type SidecarProcess } from '../helpers/hub-fleet.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { connectionsTo, lastConnectedUrl, createTokenInDatabase, hubInitWithDatabase, startHubReplica } from '../helpers/postgres-hub.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { waitFor, within } from '../helpers/proxy-wait.js';

const SERVICE = 'api';
let dir: string;
let hubState: string;
let cluster: PostgresCluster;
let databaseUrl: string;
let a: HubProcess;
let b: HubProcess;
let apiA: AdminApi;
let apiB: AdminApi;
let backend: CountingBackend;
/** onA follows [A, B], onB follows [B, A]. */
let onA: SidecarProcess;
let onB: SidecarProcess;
const revoked: ClientCert[] = [];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function revocationsOf(api: AdminApi) {
  return (await api.call<{ revocations: { serial: string }[]; cursor: number }>('GET', '/api/v1/certs/revocations')).body;
}

function cachedPolicyVersion(sidecar: SidecarProcess): number {
  try {
    return readPolicies(sidecarHubPaths(sidecar.stateDir))[SERVICE]?.version ?? 0;
  } catch {
    // Read while being replaced: ask again.
    return -1;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-pg-'));
  hubState = join(dir, 'hub');
  cluster = await startPostgres();
  databaseUrl = await cluster.createDatabase('hub');
  backend = await startEchoBackend();
  await hubInitWithDatabase(hubState, databaseUrl);
  [a, b] = await Promise.all([startHubReplica(hubState, databaseUrl), startHubReplica(hubState, databaseUrl)]);
  apiA = adminApi(hubState, a.url);
  apiB = adminApi(hubState, b.url);
  for (const [name, url] of [
    ['on-a', a.url],
    ['on-b', b.url],
  ] as const) {
    mkdirSync(join(dir, name));
    const enrolled = await enrollSidecar(join(dir, name), url, SERVICE, await createTokenInDatabase(hubState, databaseUrl, SERVICE));
    if (enrolled.code !== 0) throw new Error(`enrollment failed: ${enrolled.stderr}${enrolled.stdout}`);
  }
  // One after the other: on a loaded machine two starting sidecars can take the helper's whole deadline.
  onA = await startSidecarProcess({ dir: join(dir, 'on-a'), hubUrl: [a.url, b.url], serviceId: SERVICE, backendPort: backend.port });
  onB = await startSidecarProcess({ dir: join(dir, 'on-b'), hubUrl: [b.url, a.url], serviceId: SERVICE, backendPort: backend.port });
  // Each follows its first URL unless that first attempt failed on a loaded machine (then it rotated to
  // the other replica); the revocation test picks the replica each sidecar is not streaming from.
  await waitFor(() => lastConnectedUrl(onA.output()) !== undefined && lastConnectedUrl(onB.output()) !== undefined, { timeoutMs: 60_000, what: 'each sidecar to follow a replica' });
}, 180_000);

afterAll(async () => {
  await Promise.all([onA?.stop(), onB?.stop()]);
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([apiA?.http.close(), apiB?.http.close()]);
  await backend?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('two Hub replicas on one PostgreSQL database', () => {
  it('both replicas see the instances enrolled through either', async () => {
    for (const api of [apiA, apiB]) {
      const { body } = await api.call<{ instances: unknown[] }>('GET', '/api/v1/instances');
      expect(body.instances).toHaveLength(2);
    }
  });

  it('a revocation through replica A cuts a live connection on the sidecar streaming from replica B within 1 s (10 rounds)', async () => {
    const latencies: number[] = [];
    let crossReplica = 0;
    for (let round = 0; round < 10; round++) {
      // Issued through B, revoked through A: the CA is shared through the state dir.
      const cert = await issueClientCert(round % 2 ? apiA : apiB, 'client-app', { hubKey: true });
      const sockets: TLSSocket[] = await Promise.all([openEcho(onB.port, cert), openEcho(onA.port, cert)]);
      const closedAt = sockets.map((s) => once(s, 'close').then(() => performance.now()));
      // Revoke through the replica the sidecar on B is NOT streaming from right now: a follower that
      // failed over under load (it rotates URLs on a stream error) must not make the round same-replica.
      const following = lastConnectedUrl(onB.output());
      const via = following === a.url ? apiB : apiA;
      crossReplica += following === (via === apiA ? b.url : a.url) ? 1 : 0;
      const res = await via.call<{ serial: string }>('DELETE', `/api/v1/certs/${cert.id}?reason=keyCompromise`);
      const answered = performance.now();
      expect(res.status).toBe(200);
      const times = await within(Promise.all(closedAt), 1_000, `round ${round}: the live connections on both sidecars cut`);
      latencies.push(times[0]! - answered);
      revoked.push(cert);
    }
    expect(await echoes(onB.port, revoked[0]!)).toBe(false);
    expect(crossReplica).toBe(10);
    process.stderr.write(`revocation via the other replica → cut on a sidecar of replica B, 10 rounds: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms\n`);
  }, 120_000);

  it('a policy change through replica B reaches the sidecar streaming from replica A within 1 s', async () => {
    const before = cachedPolicyVersion(onA);
    const put = await apiB.call<{ version: number }>('PUT', `/api/v1/policy/${SERVICE}`, { client_max_ttl: '24h', allowed_services: [] });
    expect(put.status).toBe(200);
    expect(put.body.version).toBeGreaterThan(before);
    await within(
      waitFor(() => cachedPolicyVersion(onA) === put.body.version, { timeoutMs: 5_000, what: 'the policy on the sidecar of A' }),
      1_000,
      'the policy change reaching the sidecar of replica A',
    );
  });

  it('replica B killed: its sidecar fails over to A and misses nothing revoked meanwhile', async () => {
    const missed = await issueClientCert(apiA, 'client-app', { hubKey: true });
    const live = await openEcho(onB.port, missed);
    const cut = once(live, 'close');
    b.child.kill('SIGKILL');
    await once(b.child, 'exit');
    // Revoked through A at once, possibly before the sidecar noticed B is gone.
    expect((await apiA.call('DELETE', `/api/v1/certs/${missed.id}`)).status).toBe(200);
    revoked.push(missed);
    await waitFor(() => connectionsTo(onB.output(), a.url) > 0, { timeoutMs: 20_000, what: 'the sidecar of B to follow replica A' });
    await within(cut, 10_000, 'the live connection revoked during the failover cut');
    expect(await echoes(onB.port, missed)).toBe(false);
    // Now streaming from A: the next revocation cuts within 1 s again.
    const next = await issueClientCert(apiA, 'client-app', { hubKey: true });
    const socket = await openEcho(onB.port, next);
    const closed = once(socket, 'close');
    expect((await apiA.call('DELETE', `/api/v1/certs/${next.id}`)).status).toBe(200);
    await within(closed, 1_000, 'a revocation after failover cutting the live connection');
    revoked.push(next);
  }, 60_000);

  it('both replicas restarted: nothing lost, and the sidecars follow them again', async () => {
    const before = {
      revocations: await revocationsOf(apiA),
      instances: (await apiA.call<{ instances: { id: string }[] }>('GET', '/api/v1/instances')).body.instances.map((i) => i.id).sort(),
      policy: (await apiA.call<{ version: number; policy: unknown }>('GET', `/api/v1/policy/${SERVICE}`)).body,
    };
    expect(before.revocations.revocations.map((r) => r.serial).sort()).toEqual(revoked.map((c) => c.serial).sort());
    await a.stop();
    const seenA = [connectionsTo(onA.output(), a.url), connectionsTo(onB.output(), a.url)];
    const seenB = connectionsTo(onA.output(), b.url);
    [b, a] = await Promise.all([startHubReplica(hubState, databaseUrl, `127.0.0.1:${b.port}`), startHubReplica(hubState, databaseUrl, `127.0.0.1:${a.port}`)]);
    for (const api of [apiA, apiB]) {
      expect(await revocationsOf(api)).toEqual(before.revocations);
      expect((await api.call<{ instances: { id: string }[] }>('GET', '/api/v1/instances')).body.instances.map((i) => i.id).sort()).toEqual(before.instances);
      expect((await api.call('GET', `/api/v1/policy/${SERVICE}`)).body).toEqual(before.policy);
    }
    // Each sidecar reconnected to a restarted replica.
    await waitFor(() => connectionsTo(onA.output(), a.url) > seenA[0]! || connectionsTo(onA.output(), b.url) > seenB, { timeoutMs: 20_000, what: 'the sidecar of A to reconnect' });
    await waitFor(() => connectionsTo(onB.output(), a.url) > seenA[1]! || connectionsTo(onB.output(), b.url) > 0, { timeoutMs: 20_000, what: 'the sidecar of B to reconnect' });
    const cert = await issueClientCert(apiA, 'client-app', { hubKey: true });
    const sockets = await Promise.all([openEcho(onA.port, cert), openEcho(onB.port, cert)]);
    const closed = Promise.all(sockets.map((s) => once(s, 'close')));
    expect((await apiB.call('DELETE', `/api/v1/certs/${cert.id}`)).status).toBe(200);
    await within(closed, 1_000, 'a revocation through the restarted replica B cutting both sidecars');
    for (const c of revoked) expect(await echoes(onA.port, c)).toBe(false);
  }, 90_000);
});
