/**
 * `tlsmcp run` with `mcp.transport: http` serves the MCP tools on the remote
 * mTLS listener in the same process as the proxy workers: an agent with a
 * local-CA certificate sees the running service through tlsmcp_proxy_status,
 * and SIGTERM stops both cleanly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { connectRemoteClient } from '../helpers/mcp-remote-client.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
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

describe('tlsmcp run with the MCP listener', () => {
  it('serves the MCP tools over mTLS beside the proxy workers it supervises', async () => {
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: ['admin: { enabled: false }', 'mcp: { transport: http, sse_address: "127.0.0.1:0" }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`],
      args: ['--log-level', 'info'],
    });
    const url = await waitFor(() => /"event":"mcp_listening","url":"(https:\/\/[^"]+)"/.exec(run!.stderr())?.[1], { timeoutMs: 20_000, what: 'the MCP listening line' });

    const agent = await pki.client('agent');
    const remote = await connectRemoteClient(url, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem });
    try {
      const result = await remote.client.callTool({ name: 'tlsmcp_proxy_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const services = (result.structuredContent as { services: { name: string; state: string }[] }).services;
      expect(services.map((s) => [s.name, s.state])).toEqual([['echo', 'ready']]);
    } finally {
      await remote.close();
    }

    // Without a certificate the same listener refuses the handshake.
    await expect(connectRemoteClient(url, 'streamable-http', { ca: pki.caPem })).rejects.toThrow();

    run.child.kill('SIGTERM');
    const [code] = (await eventWithin(run.child, 'exit', 20_000)) as [number | null];
    expect(code).toBe(0);
  });
});
