/**
 * A real Hub and three real `tlsmcp run` sidecars enrolled by token, all as
 * child processes: Hub-issued certificates accepted everywhere, fleet-wide
 * revocation cutting live connections, the sidecars on cached state while the
 * Hub is down, catch-up on reconnect, and a Hub restart that loses nothing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { waitFor, within } from '../helpers/proxy-wait.js';
import { once } from 'node:events';
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
  type ClientCert,
  type HubProcess,
  type SidecarProcess,
} from '../helpers/hub-fleet.js';

const SERVICE = 'api';
let dir: string;
let hubState: string;
let hub: HubProcess;
let api: AdminApi;
let backend: CountingBackend;
const sidecars: SidecarProcess[] = [];
const revoked: ClientCert[] = [];
const tokens: string[] = [];
let valid: ClientCert;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function restartHub(): Promise<void> {
  hub = await startHubProcess(hubState, `127.0.0.1:${hub.port}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-fleet-'));
  hubState = join(dir, 'hub');
  backend = await startEchoBackend();
  await hubInit(hubState);
  hub = await startHubProcess(hubState);
  api = adminApi(hubState, hub.url);
  // Two enroll with `tlsmcp init --hub-url`, the third on its first `tlsmcp run` with hub.auth_token.
  for (let i = 0; i < 3; i++) mkdirSync(join(dir, `sidecar-${i}`));
  for (let i = 0; i < 2; i++) {
    const token = await createToken(hubState, SERVICE);
    tokens.push(token);
    const enrolled = await enrollSidecar(join(dir, `sidecar-${i}`), hub.url, SERVICE, token);
    if (enrolled.code !== 0) throw new Error(`enrollment failed: ${enrolled.stderr}`);
  }
  const runToken = await createToken(hubState, SERVICE);
  tokens.push(runToken);
  sidecars.push(
    ...(await Promise.all(
      [0, 1, 2].map((i) => startSidecarProcess({ dir: join(dir, `sidecar-${i}`), hubUrl: hub.url, serviceId: SERVICE, backendPort: backend.port, ...(i === 2 ? { authToken: runToken } : {}) })),
    )),
  );
  // Every sidecar follows the stream before the tests revoke anything.
  await waitFor(async () => {
    const { body } = await api.call<{ instances: { last_seen: string | null }[] }>('GET', '/api/v1/instances');
    return body.instances.length === 3;
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
  await hub?.stop();
  await api?.http.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Hub and three enrolled sidecars', () => {
  it('accepts on each sidecar a client certificate issued by POST /api/v1/certs/issue from a CSR', async () => {
    valid = await issueClientCert(api, 'client-app');
    for (const s of sidecars) expect(await echoes(s.port, valid)).toBe(true);
  });

  it('applies a policy change live on each sidecar (allowed_services), and reports its feed position to the Hub', async () => {
    expect((await api.call('PUT', `/api/v1/policy/${SERVICE}`, { allowed_services: ['someone-else'] })).status).toBe(200);
    for (const s of sidecars) await waitFor(async () => !(await echoes(s.port, valid)), { timeoutMs: 10_000, what: 'the policy to refuse client-app' });
    const { body } = await api.call<{ cursor: number }>('GET', '/api/v1/certs/revocations');
    expect((await api.call('PUT', `/api/v1/policy/${SERVICE}`, { allowed_services: ['client-app'] })).status).toBe(200);
    for (const s of sidecars) await waitFor(() => echoes(s.port, valid), { timeoutMs: 10_000, what: 'the policy to admit client-app again' });
    await waitFor(
      async () => {
        const { body: list } = await api.call<{ instances: { cursor: number | null }[] }>('GET', '/api/v1/instances');
        return list.instances.every((i) => (i.cursor ?? 0) > body.cursor);
      },
      { timeoutMs: 10_000, what: 'every instance to report its cursor' },
    );
    for (const s of sidecars) {
      const metrics = await (await fetch(`${s.admin}/metrics`)).text();
      expect(metrics).toMatch(/^tlsmcp_hub_connected 1$/m);
      expect(metrics).toMatch(/^tlsmcp_hub_sync_latency_seconds \d/m);
    }
  }, 60_000);

  it('DELETE /api/v1/certs/{id} cuts a live connection on each sidecar within 1 s (20 revocations)', async () => {
    const latencies: number[] = [];
    for (let round = 0; round < 20; round++) {
      const cert = await issueClientCert(api, 'client-app', { hubKey: round > 0 });
      const sockets: TLSSocket[] = await Promise.all(sidecars.map((s) => openEcho(s.port, cert)));
      const closedAt = sockets.map((s) => once(s, 'close').then(() => performance.now()));
      const res = await api.call<{ serial: string }>('DELETE', `/api/v1/certs/${cert.id}?reason=keyCompromise`);
      const answered = performance.now();
      expect(res.status).toBe(200);
      expect(res.body.serial).toBe(cert.serial);
      const times = await within(Promise.all(closedAt), 1_000, `round ${round}: every live connection cut`);
      latencies.push(Math.max(...times.map((t) => t - answered)));
      revoked.push(cert);
    }
    for (const s of sidecars) expect(await echoes(s.port, revoked[0]!)).toBe(false);
    process.stderr.write(`hub revocation → live connection cut on 3 sidecars, 20 rounds: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms\n`);
  }, 120_000);

  it('with the Hub stopped, serves valid clients and refuses the revoked one, also after a sidecar restart', async () => {
    await hub.stop();
    for (const s of sidecars) {
      expect(await echoes(s.port, valid)).toBe(true);
      expect(await echoes(s.port, revoked[5]!)).toBe(false);
    }
    // A restart with the Hub down still knows every revocation (cached on disk).
    await sidecars[2]!.stop();
    sidecars[2] = await startSidecarProcess({ dir: join(dir, 'sidecar-2'), hubUrl: hub.url, serviceId: SERVICE, backendPort: backend.port });
    expect(await echoes(sidecars[2]!.port, valid)).toBe(true);
    for (const cert of revoked) expect(await echoes(sidecars[2]!.port, cert)).toBe(false);
  }, 60_000);

  it('a revocation made while the sidecars were disconnected reaches them when the Hub is back', async () => {
    // The Hub is down for the sidecars; another Hub process on the same state (a port they do not know) revokes meanwhile.
    const other = await startHubProcess(hubState);
    const otherApi = adminApi(hubState, other.url);
    const res = await otherApi.call('DELETE', `/api/v1/certs/${valid.id}`);
    expect(res.status).toBe(200);
    await otherApi.http.close();
    await other.stop();
    for (const s of sidecars) expect(await echoes(s.port, valid)).toBe(true);
    await restartHub();
    try {
      for (const s of sidecars) await waitFor(async () => !(await echoes(s.port, valid)), { timeoutMs: 25_000, what: 'the missed revocation to reach the sidecar' });
    } catch (err) {
      // It failed twice in CI before the follower stopped destroying a renewal in flight (hub-renewal-recovery.test.ts): say where each follower stood.
      const states = await Promise.all(
        sidecars.map(async (s, i) => {
          const health = await fetch(`${s.admin}/health`).then((r) => r.text(), (e: Error) => `no /health: ${e.message}`);
          const hubLines = s.output().split('\n').filter((l) => l.includes('hub_')).slice(-6);
          return `sidecar-${i}: ${health}\n  ${hubLines.join('\n  ')}`;
        }),
      );
      throw new Error(`${(err as Error).message}\n${states.join('\n')}`, { cause: err });
    }
    revoked.push(valid);
  }, 100_000);

  it('loses nothing across a Hub restart', async () => {
    const put = await api.call('PUT', `/api/v1/policy/${SERVICE}`, { client_max_ttl: '24h', allowed_services: [] });
    expect(put.status).toBe(200);
    const before = {
      revocations: (await api.call<{ revocations: { serial: string }[]; cursor: number }>('GET', '/api/v1/certs/revocations')).body,
      instances: (await api.call<{ instances: { id: string }[] }>('GET', '/api/v1/instances')).body.instances.map((i) => i.id).sort(),
    };
    expect(before.revocations.revocations.map((r) => r.serial).sort()).toEqual(revoked.map((c) => c.serial).sort());
    await hub.stop();
    await restartHub();
    const after = {
      revocations: (await api.call<{ revocations: { serial: string }[]; cursor: number }>('GET', '/api/v1/certs/revocations')).body,
      instances: (await api.call<{ instances: { id: string }[] }>('GET', '/api/v1/instances')).body.instances.map((i) => i.id).sort(),
    };
    expect(after).toEqual(before);
    expect((await api.call<{ policy: { client_max_ttl: string } }>('GET', `/api/v1/policy/${SERVICE}`)).body.policy.client_max_ttl).toBe('24h');
    expect((await api.call<{ status: string }>('GET', `/api/v1/certs/${revoked[0]!.id}`)).body.status).toBe('revoked');
  }, 60_000);

  it('a token enrolls once, and not after it expired', async () => {
    const token = await createToken(hubState, SERVICE);
    const first = await enrollSidecar(join(dir, 'once-a'), hub.url, SERVICE, token);
    expect(first.code).toBe(0);
    const again = await enrollSidecar(join(dir, 'once-b'), hub.url, SERVICE, token);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'ERR_TOKEN_INVALID' } });
    expect(JSON.parse(again.stdout).error.message).toMatch(/already used/);
    const expired = await createToken(hubState, SERVICE, '1ms');
    const late = await enrollSidecar(join(dir, 'late'), hub.url, SERVICE, expired);
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout).error.message).toMatch(/expired/);
    // Tokens are secrets: never in the Hub's or the sidecars' logs (the sidecars log at info).
    for (const t of [...tokens, token, expired]) {
      expect(hub.output()).not.toContain(t);
      for (const s of sidecars) expect(s.output()).not.toContain(t);
    }
  }, 60_000);
});
