/**
 * `tlsmcp run` with `mcp.transport: http` serves the MCP tools on the remote
 * mTLS listener in the same process as the proxy workers: an agent with a
 * local-CA certificate sees the running service through tlsmcp_proxy_status,
 * and SIGTERM stops both cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { connectRemoteClient } from '../helpers/mcp-remote-client.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';

const BIN = join(import.meta.dirname, '../../bin/tlsmcp.js');

let pki: TestPki;
let backend: CountingBackend;
let child: ChildProcess | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await eventWithin(child, 'exit', 5_000);
  }
  child = undefined;
  await backend.close();
  pki.cleanup();
});

describe('tlsmcp run with the MCP listener', () => {
  it('serves the MCP tools over mTLS beside the proxy workers it supervises', async () => {
    const configFile = join(pki.dir, 'tlsmcp.yaml');
    writeFileSync(
      configFile,
      [
        'admin: { enabled: false }',
        'mcp: { transport: http, sse_address: "127.0.0.1:0" }',
        'services:',
        '  - name: echo',
        '    listen: "127.0.0.1:0"',
        `    backend: "127.0.0.1:${backend.port}"`,
        '',
      ].join('\n'),
    );
    let stderr = '';
    child = spawn(process.execPath, [BIN, '--state', pki.stateDir, '--log-level', 'info', 'run', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TLSMCP_HOME: '' },
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await waitFor(() => /"event":"mcp_listening","url":"(https:\/\/[^"]+)"/.exec(stderr)?.[1], { timeoutMs: 20_000, what: 'the MCP listening line' });

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

    child.kill('SIGTERM');
    const [code] = (await eventWithin(child, 'exit', 20_000)) as [number | null];
    expect(code).toBe(0);
  });
});
