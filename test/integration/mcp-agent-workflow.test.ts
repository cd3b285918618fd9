/**
 * The agent workflow end to end, as one `mcp serve` process runs it: an agent
 * connected over Streamable HTTP with mTLS asks for a client certificate,
 * a workload connects through the running sidecar with it, the agent revokes
 * it, the live connection drops, and the audit resource shows what happened.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { startMcpServe, type McpServeHandle } from '../../src/app/mcp-serve.js';
import { createSupervisor } from '../../src/supervisor/supervisor.js';
import { parseHostPort } from '../../src/util/address.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';
import { waitFor } from '../helpers/mcp-wait.js';

interface AuditView {
  events: { kind: string; result?: string; reason?: string; peer_cn?: string; serial?: string; tool?: string; detail?: Record<string, unknown> }[];
}

describe('agent workflow through MCP', () => {
  let dir: string;
  let backend: CountingBackend;
  let serve: McpServeHandle | undefined;
  let agent: RemoteClient | undefined;
  const sockets: TLSSocket[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-agent-'));
    backend = await startEchoBackend();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await agent?.close();
    agent = undefined;
    await serve?.close();
    serve = undefined;
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a client certificate, connects through the sidecar, revokes it, and the connection drops and is audited', async () => {
    const stateDir = join(dir, 'state');
    const config = parseConfig(
      {
        revocation_refresh: '250ms',
        admin: { enabled: false },
        services: [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }],
        mcp: {
          transport: 'http',
          sse_address: '127.0.0.1:0',
          authorization: [{ identity: { cn: 'ops-agent' }, allow_tools: ['tlsmcp_cert_issue', 'tlsmcp_cert_revoke'] }],
        },
      },
      'agent workflow config',
    );
    serve = await startMcpServe({ config, stateDir, logger: createSilentLogger(), transport: 'http', createSupervisor: (o) => createSupervisor(o) });

    // Bootstrapping: the operator gives the agent its own certificate once.
    const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config) });
    const agentCert = await ca.issue({ type: 'client', service: 'ops', cn: 'ops-agent' });
    agent = await connectRemoteClient(serve.remote!.url, 'streamable-http', { ca: ca.caCertPem(), cert: agentCert.certPem, key: agentCert.keyPem! });
    const client: Client = agent.client;
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      return r.structuredContent as Record<string, unknown>;
    };

    // 1. The agent finds the sidecar and asks for a client certificate for a workload.
    const status = (await call('tlsmcp_proxy_status', { service: 'api' })) as { services: { listen: string; state: string }[] };
    expect(status.services[0]!.state).toBe('ready');
    const sidecar = parseHostPort(status.services[0]!.listen);
    if (!sidecar.ok) throw new Error(sidecar.error);
    const issued = (await call('tlsmcp_cert_issue', { service: 'api', cn: 'worker-1', ttl: '1h' })) as { id: string; serial: string; cert_pem: string; ca_pem: string; key_path: string };

    // 2. The workload (on the tlsmcp host, where the key was written) connects through the sidecar.
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: sidecar.value.port,
      servername: 'localhost',
      ca: issued.ca_pem,
      cert: issued.cert_pem,
      key: readFileSync(issued.key_path, 'utf8'),
    });
    sockets.push(socket);
    socket.setEncoding('utf8');
    await once(socket, 'secureConnect');
    socket.write('ping\n');
    const [echo] = (await once(socket, 'data')) as [string];
    expect(echo).toBe('ping\n');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);

    // 3. The agent revokes it: the live connection is cut and the result says so.
    const revoked = await call('tlsmcp_cert_revoke', { id: issued.id, reason: 'keyCompromise' });
    expect(revoked).toMatchObject({ supervisor_running: true, connections_closed: 1, proxy_error: null });
    await closed;
    expect(socket.destroyed).toBe(true);

    // A new connection with it is refused by the sidecar.
    const again = tlsConnect({ host: '127.0.0.1', port: sidecar.value.port, servername: 'localhost', ca: issued.ca_pem, cert: issued.cert_pem, key: readFileSync(issued.key_path, 'utf8') });
    sockets.push(again);
    again.on('error', () => undefined);
    await new Promise<void>((resolve) => again.once('close', () => resolve()));

    // 4. The audit resource records the connection, the revocation and the agent's tool calls.
    const audit = await waitFor<AuditView | undefined>(
      async () => {
        const res = await client.readResource({ uri: 'tlsmcp://audit/api' });
        const view = JSON.parse((res.contents[0] as { text: string }).text) as AuditView;
        const rejected = view.events.some((e) => e.kind === 'connection' && e.result === 'rejected' && e.reason === 'revoked');
        return rejected ? view : undefined;
      },
      { what: 'the audit trail to show the refused reconnect' },
    );
    const events = audit.events;
    expect(events.some((e) => e.kind === 'connection' && e.result === 'accepted' && e.peer_cn === 'worker-1' && e.serial === issued.serial)).toBe(true);
    expect(events.some((e) => e.kind === 'revocation' && e.serial === issued.serial && e.reason === 'keyCompromise')).toBe(true);
    const revokeCall = events.find((e) => e.kind === 'tool_call' && e.tool === 'tlsmcp_cert_revoke');
    expect(revokeCall).toMatchObject({ result: 'ok', peer_cn: 'ops-agent', detail: { connections_closed: 1 } });
    expect(events.some((e) => e.kind === 'tool_call' && e.tool === 'tlsmcp_cert_issue' && e.peer_cn === 'ops-agent')).toBe(true);
  });
});
