/**
 * `tlsmcp-mcp --transport http|sse --address 127.0.0.1:0` as a real process:
 * it prints where it listens, serves both remote transports to a client with
 * a certificate from its CA, and drains and exits 0 on SIGTERM.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/index.js';
import { TEST_POLICY } from '../helpers/ca-fixture.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';
import { createStdioFixture, REPO_ROOT, type StdioFixture } from '../helpers/mcp-stdio.js';
import { waitFor } from '../helpers/mcp-wait.js';

describe('tlsmcp-mcp with a remote transport', () => {
  let fx: StdioFixture;
  let child: ChildProcessWithoutNullStreams | undefined;
  const clients: RemoteClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
    fx.cleanup();
  });

  it('prints its URL, serves Streamable HTTP and SSE with mTLS, and exits 0 on SIGTERM', async () => {
    fx = createStdioFixture({ version: 1, logging: { level: 'warn' }, admin: { enabled: false } });
    child = spawn(process.execPath, fx.args(['--transport', 'sse', '--address', '127.0.0.1:0']), { cwd: REPO_ROOT, env: fx.env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.resume();
    const url = await waitFor(() => /listening on (https:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(stdout)?.[1], { timeoutMs: 20_000, what: 'the listening line' });

    const ca = createCertificateAuthority({ stateDir: fx.stateDir, policy: TEST_POLICY });
    const cert = await ca.issue({ type: 'client', service: 'ops', cn: 'viewer' });
    for (const kind of ['streamable-http', 'sse'] as const) {
      const remote = await connectRemoteClient(url, kind, { ca: ca.caCertPem(), cert: cert.certPem, key: cert.keyPem! });
      clients.push(remote);
      const list = await remote.client.callTool({ name: 'tlsmcp_cert_list', arguments: {} });
      expect(list.isError).toBeFalsy();
    }
    await Promise.all(clients.splice(0).map((c) => c.close()));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
