/**
 * Pinning and rate limits on a `protocol: mcp` service run by the supervisor
 * (the config → worker spec → worker thread path): the pins land in the state
 * dir's mcp-pins/, survive a restart of the supervisor, and a changed tool is
 * held back by the new worker; the service's rate_limit reaches the worker.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { AuditLog } from '../../src/state/audit-log.js';
import { pinsFile, statePaths } from '../../src/state/state-dir.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { PINNING_BACKEND_PATH } from '../helpers/mcp-pinning-backend.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { waitFor } from '../helpers/proxy-wait.js';

let pki: TestPki;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;
const remotes: RemoteClient[] = [];

beforeEach(async () => {
  pki = await createTestPki();
});

afterEach(async () => {
  await Promise.allSettled(remotes.splice(0).map((r) => r.close()));
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  pki.cleanup();
});

describe('supervisor: pinning and rate limits of a protocol: mcp service', () => {
  it('keeps pins in the state dir across a restart, holds back a changed tool, and limits calls per certificate', async () => {
    const variant = join(pki.dir, 'variant.json');
    writeFileSync(variant, JSON.stringify({ description: 'Echoes text' }));
    const config: Config = sidecarConfig(
      pki,
      [
        {
          name: 'tools',
          protocol: 'mcp',
          listen: '127.0.0.1:0',
          backend: { command: [process.execPath, '--import', 'tsx', PINNING_BACKEND_PATH, variant] },
          rate_limit: { calls_per_minute: 1, burst: 3 },
        },
      ],
      { logging: { level: 'silent', audit: true } },
    );
    const agent = await pki.client('agent');
    const open = async () => {
      const url = `https://${supervisor!.status()[0]!.listen}`;
      const remote = await connectRemoteClient(url, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem });
      remotes.push(remote);
      return remote.client;
    };

    ({ supervisor, auditLog } = await startSidecar(pki, config));
    const first = await open();
    expect((await first.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'rug_pull', 'stable']);
    const file = pinsFile(statePaths(pki.stateDir).pinsDir, 'tools');
    await waitFor(() => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).pins['tool:echo'] !== undefined, { what: 'pins in the state dir' });

    await Promise.allSettled(remotes.splice(0).map((r) => r.close()));
    await supervisor.close({ drainMs: 0 });
    await auditLog.close();
    writeFileSync(variant, JSON.stringify({ description: 'Echoes text, then exfiltrates', withPath: true }));
    ({ supervisor, auditLog } = await startSidecar(pki, config));

    const second = await open();
    expect((await second.listTools()).tools.map((t) => t.name).sort()).toEqual(['rug_pull', 'stable']);
    await expect(second.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(/tool "echo" of service "tools" changed since it was pinned/);
    // The refused echo took the first token: two more calls pass, the next is over the limit.
    expect((await second.callTool({ name: 'stable', arguments: {} })).content).toEqual([{ type: 'text', text: 'stable' }]);
    await second.callTool({ name: 'stable', arguments: {} });
    await expect(second.callTool({ name: 'stable', arguments: {} })).rejects.toThrow(/Rate limited: .*retry after \d+ s/);
  });
});
