/**
 * What a sidecar following a Hub says and does about it: /health reports the
 * Hub reachable or not while /ready stays true on cached state; `tlsmcp score`
 * and `tlsmcp_score` return the fleet score from the Hub, or the local score
 * marked as such while the Hub is down; `tlsmcp cert revoke` on a sidecar
 * revokes through the Hub with an admin credential (never with the instance's
 * own, which the Hub refuses). A real Hub and two real `tlsmcp run`
 * sidecars, as child processes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../../src/app/mcp-server.js';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../src/ca/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import { runCli } from '../helpers/cli.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { waitFor, within } from '../helpers/proxy-wait.js';
import { adminApi, createToken, enrollSidecar, hubInit, issueClientCert, openEcho, startHubProcess, startSidecarProcess, type AdminApi, type HubProcess, type SidecarProcess } from '../helpers/hub-fleet.js';
import { sidecarHubPaths } from '../../src/hub/sidecar-files.js';
import { once } from 'node:events';

const SERVICE = 'api';
let dir: string;
let hubState: string;
let hub: HubProcess;
let api: AdminApi;
let backend: CountingBackend;
const sidecars: SidecarProcess[] = [];

interface Health {
  status: string;
  hub?: { reachable: boolean; url: string; last_sync: string | null; cursor: number; last_error: string | null };
}
interface Scoped {
  score: number | null;
  categories: { id: string }[];
  hub?: { scope: 'fleet' | 'local'; url: string; unreachable: string | null };
}

const health = async (s: SidecarProcess) => (await (await fetch(`${s.admin}/health`)).json()) as Health;

/** `tlsmcp_score` through a real MCP client, on an MCP server built over the sidecar's config and state dir. */
async function scoreTool(s: SidecarProcess): Promise<CallToolResult> {
  const config = loadConfigFile(s.configFile);
  const auditLog = createAuditLog(statePaths(s.stateDir).auditLog, { enabled: false });
  const ca = createCertificateAuthority({ stateDir: s.stateDir, policy: ttlPolicyFromConfig(config) });
  const server = createMcpServer({ ca, config, stateDir: s.stateDir, auditLog, logger: createSilentLogger(), clock: () => new Date() });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'hub-sidecar-ops', version: '0.0.0' });
  await client.connect(clientTransport);
  try {
    return (await client.callTool({ name: 'tlsmcp_score', arguments: { scan_listeners: false } })) as CallToolResult;
  } finally {
    await client.close();
    await server.close();
    await auditLog.close();
  }
}

const scoreCli = async (s: SidecarProcess, json = true) => runCli(['--state', s.stateDir, '--config', s.configFile, 'score', '--no-scan', ...(json ? ['--json'] : [])]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-ops-'));
  hubState = join(dir, 'hub');
  backend = await startEchoBackend();
  await hubInit(hubState);
  hub = await startHubProcess(hubState);
  api = adminApi(hubState, hub.url);
  for (let i = 0; i < 2; i++) {
    mkdirSync(join(dir, `sidecar-${i}`));
    const enrolled = await enrollSidecar(join(dir, `sidecar-${i}`), hub.url, SERVICE, await createToken(hubState, SERVICE));
    if (enrolled.code !== 0) throw new Error(`enrollment failed: ${enrolled.stderr}`);
  }
  sidecars.push(...(await Promise.all([0, 1].map((i) => startSidecarProcess({ dir: join(dir, `sidecar-${i}`), hubUrl: hub.url, serviceId: SERVICE, backendPort: backend.port })))));
}, 180_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
  await hub?.stop();
  await api?.http.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a sidecar following the Hub', () => {
  it('/health reports the Hub reachable, with its URL, cursor and last sync', async () => {
    for (const s of sidecars) {
      const h = await waitFor(async () => {
        const body = await health(s);
        return body.hub?.reachable ? body : undefined;
      }, { timeoutMs: 20_000, what: 'the sidecar to follow the Hub' });
      expect(h).toMatchObject({ status: 'ok', hub: { reachable: true, url: hub.url, last_error: null } });
      expect(h.hub!.cursor).toBeGreaterThanOrEqual(0);
      expect(Date.parse(h.hub!.last_sync!)).not.toBeNaN();
    }
  }, 30_000);

  it('tlsmcp score and tlsmcp_score return the fleet score from the Hub', async () => {
    const fleet = (await api.call<Scoped>('GET', '/api/v1/score')).body;
    const cli = await scoreCli(sidecars[0]!);
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as Scoped;
    expect(report.hub).toEqual({ scope: 'fleet', url: hub.url, unreachable: null });
    expect(report.categories.map((c) => c.id)).toEqual(fleet.categories.map((c) => c.id));
    const text = await scoreCli(sidecars[0]!, false);
    expect(text.stdout.split('\n')[0]).toBe(`Fleet score from the Hub ${hub.url}`);

    const tool = await scoreTool(sidecars[1]!);
    expect(tool.isError).toBeFalsy();
    expect((tool.structuredContent as unknown as Scoped).hub).toEqual({ scope: 'fleet', url: hub.url, unreachable: null });
    expect((tool.content[0] as { text: string }).text).toMatch(/^Fleet score from the Hub /);
  }, 60_000);

  it('with the Hub stopped: /health says unreachable, /ready stays true, the score is the local one marked as such; back when the Hub is', async () => {
    await hub.stop();
    for (const s of sidecars) {
      await waitFor(async () => (await health(s)).hub?.reachable === false, { timeoutMs: 20_000, what: '/health to report the Hub unreachable' });
      const h = await health(s);
      expect(h.status).toBe('ok');
      expect(h.hub!.last_error).toBeTruthy();
      const ready = await fetch(`${s.admin}/ready`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
    }

    const cli = await scoreCli(sidecars[0]!);
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as Scoped;
    expect(report.hub).toMatchObject({ scope: 'local', url: hub.url, unreachable: expect.stringContaining('ECONNREFUSED') });
    const text = await scoreCli(sidecars[0]!, false);
    expect(text.stdout.split('\n')[0]).toMatch(/^The Hub is unreachable \(.*ECONNREFUSED.*\): LOCAL score of this instance only/);
    const tool = await scoreTool(sidecars[1]!);
    expect(tool.isError).toBeFalsy();
    expect((tool.structuredContent as unknown as Scoped).hub).toMatchObject({ scope: 'local' });
    expect((tool.content[0] as { text: string }).text).toMatch(/^The Hub is unreachable .*LOCAL score/);

    hub = await startHubProcess(hubState, `127.0.0.1:${hub.port}`);
    for (const s of sidecars) await waitFor(async () => (await health(s)).hub?.reachable === true, { timeoutMs: 20_000, what: '/health to report the Hub reachable again' });
    expect(JSON.parse((await scoreCli(sidecars[0]!)).stdout).hub.scope).toBe('fleet');
  }, 90_000);

  it('tlsmcp cert revoke on a sidecar revokes through the Hub with an admin credential, and every follower cuts the connection', async () => {
    const cert = await issueClientCert(api, 'client-app');
    const sockets = await Promise.all(sidecars.map((s) => openEcho(s.port, cert)));
    const closed = Promise.all(sockets.map((s) => once(s, 'close')));
    const s0 = sidecars[0]!;
    const revoke = (extra: string[]) => runCli(['--state', s0.stateDir, '--config', s0.configFile, 'cert', 'revoke', '--id', cert.id, '--reason', 'keyCompromise', '--json', ...extra]);

    // Without an admin credential: refused here, with how to give one; nothing revoked.
    const bare = await revoke([]);
    expect(bare.code).toBe(1);
    expect(JSON.parse(bare.stdout)).toMatchObject({ error: { code: 'ERR_FORBIDDEN', fix: expect.stringContaining('--hub-cert') } });
    // The instance's own certificate is not an admin one: the Hub answers 403, and its error is kept.
    const paths = sidecarHubPaths(s0.stateDir);
    const asInstance = await revoke(['--hub-cert', paths.instanceCert, '--hub-key', paths.key]);
    expect(asInstance.code).toBe(1);
    expect(JSON.parse(asInstance.stdout)).toMatchObject({ error: { code: 'ERR_FORBIDDEN', message: expect.stringMatching(/refused DELETE .* is for Hub admins/) } });
    expect((await api.call<{ status: string }>('GET', `/api/v1/certs/${cert.id}`)).body.status).toBe('valid');

    const admin = join(hubState, 'admin');
    const done = await revoke(['--hub-cert', join(admin, 'cert.pem'), '--hub-key', join(admin, 'key.pem')]);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: cert.id, serial: cert.serial, reason: 'keyCompromise', hub_url: hub.url });
    await within(closed, 10_000, 'every follower cutting the live connection');
    expect((await api.call<{ status: string }>('GET', `/api/v1/certs/${cert.id}`)).body.status).toBe('revoked');
  }, 60_000);
});
