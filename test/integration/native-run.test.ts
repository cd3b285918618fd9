/**
 * `tlsmcp run` with `data_path: native`, from source, as a real child process:
 * the worker threads (one per core, SO_REUSEPORT) load the addon, a good
 * client echoes through, a client without a certificate is refused, `tlsmcp
 * cert revoke` in another process cuts a live native connection through the
 * supervisor's revocation feed, and /metrics counts it all like the JS path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { parsePrometheusText } from '../helpers/prom-text.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect, tryEcho } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

let pki: TestPki;
let backend: CountingBackend;
let run: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await backend.close();
  pki.cleanup();
});

describe('tlsmcp run, data_path: native', () => {
  it('admits, refuses, cuts a revoked live connection, and reports to /metrics', async () => {
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'logging: { level: info }', 'services:', '  - name: echo', '    data_path: native', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`],
    });
    const { port } = run;
    expect(await tryEcho({ port, caPem: pki.caPem, cert: await pki.client('alice') })).toMatchObject({ echoed: true });
    const before = backend.connections;
    expect(await tryEcho({ port, caPem: pki.caPem })).toMatchObject({ echoed: false });
    expect(backend.connections).toBe(before);

    const doomed = await pki.client('doomed');
    const live = tlsConnect({ port, caPem: pki.caPem, cert: doomed });
    live.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      live.once('secureConnect', () => live.write('x'));
      live.once('data', () => resolve());
    });
    expect((await run.cli('cert', 'revoke', doomed.record.id)).code).toBe(0);
    await waitFor(() => live.destroyed || live.readableEnded, { what: 'the revoked live connection to be cut' });

    const f = await waitFor(
      async () => {
        const m = parsePrometheusText(await (await fetch(`${run!.admin}/metrics`)).text());
        const n = (status: string) => m.get('tlsmcp_connections_total')?.samples.find((s) => s.labels.service === 'echo' && s.labels.status === status)?.value ?? 0;
        return n('success') >= 1 && n('failed') >= 1 && m;
      },
      { what: 'accepted and refused connections in /metrics' },
    );
    expect(f.get('tlsmcp_rejections_total')?.samples.find((s) => s.labels.reason === 'no_certificate')?.value).toBe(1);
  });
});
