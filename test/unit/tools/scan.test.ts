import { createServer, type Server } from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_scan', () => {
  let h: McpHarness;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await h?.close();
  });

  const listen = async (options: { requireClientCert: boolean }) => {
    const cert = await h.pki.server();
    server = createServer({
      cert: cert.certPem,
      key: cert.keyPem!,
      ca: h.pki.caPem,
      minVersion: 'TLSv1.3',
      requestCert: options.requireClientCert,
      rejectUnauthorized: options.requireClientCert,
    });
    // Track raw sockets: on Node 24 a client that hangs up mid-handshake can leave
    // its raw socket open with no event, and server.close() would wait for it.
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.on('secureConnection', (s) => s.end());
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };

  it('scans a local TLS 1.3 server requiring mTLS, presenting a CA-issued certificate by id', async () => {
    h = await createMcpHarness();
    const port = await listen({ requireClientCert: true });
    const client = await h.pki.ca.issue({ type: 'client', service: 'scanner', cn: 'scanner' });
    const result = await h.call('tlsmcp_scan', { target: `127.0.0.1:${port}`, sni: 'localhost', client_cert_id: client.record.id, probe_timeout: '2s', deadline: '20s' });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as { tls: boolean; protocols: { name: string; status: string }[]; client_auth: { required: boolean | null; presented: boolean }; chain: { trusted_local_ca: boolean | null } };
    expect(report.tls).toBe(true);
    expect(report.protocols.find((p) => p.name === 'TLSv1.3')?.status).toBe('offered');
    expect(report.client_auth).toMatchObject({ required: true, presented: true });
    expect(report.chain?.trusted_local_ca).toBe(true);
    expect(JSON.stringify(result)).not.toMatch(/PRIVATE KEY/);
  });

  it('refuses a target that scan.deny excludes, and a malformed target', async () => {
    h = await createMcpHarness({ config: { scan: { deny: ['127.0.0.0/8'] } } });
    const refused = await h.call('tlsmcp_scan', { target: '127.0.0.1:1' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/ERR_SCAN_TARGET_REFUSED/);
    const bad = await h.call('tlsmcp_scan', { target: 'host:99999' });
    expect(textOf(bad)).toMatch(/ERR_ARGUMENT_INVALID: target: port 99999 is out of range/);
  });

  it('reports an unreachable target as a result, not a failure', async () => {
    h = await createMcpHarness();
    const port = await listen({ requireClientCert: false });
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const result = await h.call('tlsmcp_scan', { target: `127.0.0.1:${port}`, probe_timeout: '1s', deadline: '5s' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ reachable: false });
  });

  it('sends notifications/progress per probe group to an SDK client that asked for them (progress token)', async () => {
    h = await createMcpHarness();
    const port = await listen({ requireClientCert: false });
    const seen: { progress: number; total?: number; message?: string }[] = [];
    const result = await h.client.callTool(
      { name: 'tlsmcp_scan', arguments: { target: `https://127.0.0.1:${port}/app`, sni: 'localhost', probe_timeout: '2s', deadline: '20s' } },
      undefined,
      { onprogress: (p) => seen.push(p) },
    );
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { target: { path: string } }).target.path).toBe('/app');
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.every((p) => p.total === 7)).toBe(true);
    expect(seen[2]?.message).toMatch(/^protocols: offered: TLSv1\.3/);
    expect(seen[6]?.message).toMatch(/^grade: /);
    // Without a token, none are sent.
    const quiet: unknown[] = [];
    h.client.setNotificationHandler(ProgressNotificationSchema, (n) => void quiet.push(n));
    await h.call('tlsmcp_scan', { target: `127.0.0.1:${port}`, sni: 'localhost', probe_timeout: '2s', deadline: '20s' });
    expect(quiet).toEqual([]);
  });

  it('is read-only and reaches the open world', async () => {
    h = await createMcpHarness();
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'tlsmcp_scan')?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true, destructiveHint: false });
  });
});
