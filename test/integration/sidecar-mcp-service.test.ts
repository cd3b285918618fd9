/**
 * A `protocol: mcp` service run by the supervisor: the MCP front in its own
 * worker thread, in front of a stdio MCP server. An agent with a certificate
 * calls a tool through it; a denied tool never runs; revoking the agent's
 * certificate in the CA (as `tlsmcp cert revoke` would) cuts its session.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { connectRemoteClient } from '../helpers/mcp-remote-client.js';
import { STDIO_BACKEND_PATH } from '../helpers/mcp-front-stdio-backend.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { waitFor } from '../helpers/proxy-wait.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import type { AuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';

let pki: TestPki;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;

beforeEach(async () => {
  pki = await createTestPki();
});

afterEach(async () => {
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  pki.cleanup();
});

describe('supervisor: protocol mcp', () => {
  it('runs the MCP front in a worker: tools through mTLS, denials, audit, revocation cutting the session', async () => {
    const config = sidecarConfig(pki, [
      {
        name: 'tools',
        protocol: 'mcp',
        listen: '127.0.0.1:0',
        backend: { command: [process.execPath, '--import', 'tsx', STDIO_BACKEND_PATH] },
        authorization: [{ identity: { cn: 'agent' }, allow_tools: ['echo'] }],
      },
    ], { logging: { level: 'silent', audit: true } });
    ({ supervisor, auditLog } = await startSidecar(pki, config));
    const [status] = supervisor.status();
    expect(status).toMatchObject({ name: 'tools', protocol: 'mcp', state: 'ready' });
    const url = `https://${status!.listen}`;

    const agent = await pki.client('agent');
    let closed = false;
    const remote = await connectRemoteClient(url, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem });
    try {
      const tools = await remote.client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual(['echo']);
      const echoed = await remote.client.callTool({ name: 'echo', arguments: { text: 'through the worker' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'through the worker' }]);
      await expect(remote.client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/lacks permission tool:crash/);

      const auditPath = statePaths(pki.stateDir).auditLog;
      await waitFor(() => {
        if (!existsSync(auditPath)) return false;
        const events = readFileSync(auditPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        const calls = events.filter((e) => e.kind === 'mcp_request' && e.method === 'tools/call');
        return calls.some((e) => e.tool === 'echo' && e.outcome === 'ok' && e.peer_cn === 'agent') && calls.some((e) => e.tool === 'crash' && e.outcome === 'denied');
      }, { what: 'mcp_request audit events for the allowed and the denied call' });

      remote.client.onclose = () => (closed = true);
      await pki.ca.revoke(agent.record.id, 'keyCompromise');
      // The supervisor picks the revocation up from revocations.json and the worker cuts the session.
      // Wait for the cut before calling again: a call already in flight when its socket is cut can
      // hang until the client's request timeout (a separate problem of the front, not of revocation).
      await waitFor(() => existsSync(auditPath) && readFileSync(auditPath, 'utf8').includes('"result":"session_closed"'), { what: 'the session closed by the revocation' });
      await waitFor(async () => {
        if (closed) return true;
        try {
          await remote.client.callTool({ name: 'echo', arguments: { text: 'still here?' } });
          return false;
        } catch {
          return true;
        }
      }, { timeoutMs: 5_000, what: 'the revoked agent cut off' });
    } finally {
      await remote.close();
    }
    await expect(connectRemoteClient(url, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem })).rejects.toThrow();
  });

  it('applies a new authorization policy on reload to the MCP front worker (spec.mcp reaches reloads, not only starts)', async () => {
    const service = (allow: string[]) => ({
      name: 'tools',
      protocol: 'mcp',
      listen: '127.0.0.1:0',
      backend: { command: [process.execPath, '--import', 'tsx', STDIO_BACKEND_PATH] },
      authorization: [{ identity: { cn: 'agent' }, allow_tools: allow }],
    });
    ({ supervisor, auditLog } = await startSidecar(pki, sidecarConfig(pki, [service(['echo', 'pid'])])));
    const url = `https://${supervisor.status()[0]!.listen}`;
    const agent = await pki.client('agent');
    const remote = await connectRemoteClient(url, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem });
    try {
      expect((await remote.client.callTool({ name: 'pid', arguments: {} })).isError).toBeFalsy();
      const [result] = await supervisor.reload({ config: sidecarConfig(pki, [service(['echo'])]) });
      expect(result).toMatchObject({ service: 'tools', reloaded: true });
      expect(result!.applied).toContain('policy');
      await expect(remote.client.callTool({ name: 'pid', arguments: {} })).rejects.toThrow(/lacks permission tool:pid/);
      const echoed = await remote.client.callTool({ name: 'echo', arguments: { text: 'still allowed' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'still allowed' }]);
    } finally {
      await remote.close();
    }
  });
});
