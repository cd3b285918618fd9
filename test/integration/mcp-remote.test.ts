/**
 * The remote MCP listener end to end: real HTTPS with mTLS on 127.0.0.1:0, the
 * SDK's real Client over Streamable HTTP and SSE presenting certificates from
 * the local CA through an undici Agent.
 */
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, ttlPolicyFromConfig, type CertificateAuthority, type IssueResult } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { startMcpServe, type McpServeHandle } from '../../src/app/mcp-serve.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { connectRemoteClient, createMtlsFetch, type RemoteClient, type RemoteKind } from '../helpers/mcp-remote-client.js';
import { waitFor } from '../helpers/mcp-wait.js';

const TOOLS = [
  'tlsmcp_cert_issue',
  'tlsmcp_cert_list',
  'tlsmcp_cert_revoke',
  'tlsmcp_cert_status',
  'tlsmcp_proxy_reload',
  'tlsmcp_proxy_status',
  'tlsmcp_scan',
  'tlsmcp_score',
];

const CONFIG = {
  revocation_refresh: '250ms',
  services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' }],
  mcp: {
    transport: 'http',
    sse_address: '127.0.0.1:0',
    authorization: [{ identity: { cn: 'admin' }, allow_tools: ['tlsmcp_cert_*', 'tlsmcp_proxy_reload'] }],
  },
};

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe.each<RemoteKind>(['streamable-http', 'sse'])('remote MCP over %s with mTLS', (kind) => {
  let dir: string;
  let serve: McpServeHandle;
  let ca: CertificateAuthority;
  let baseUrl: string;
  let admin: IssueResult;
  let reader: IssueResult;
  const clients: RemoteClient[] = [];
  const others: TestPki[] = [];

  const open = async (cert?: IssueResult) => {
    const c = await connectRemoteClient(baseUrl, kind, { ca: ca.caCertPem(), ...(cert ? { cert: cert.certPem, key: cert.keyPem! } : {}) });
    clients.push(c);
    return c.client;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-remote-'));
    const config = parseConfig(CONFIG, 'test config');
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    baseUrl = serve.remote!.url;
    ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
    admin = await ca.issue({ type: 'client', service: 'ops', cn: 'admin' });
    reader = await ca.issue({ type: 'client', service: 'ops', cn: 'reader' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await serve?.close();
    for (const p of others.splice(0)) p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drives every tool and resource as an allowed identity', async () => {
    const client = await open(admin);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);

    const issued = await client.callTool({ name: 'tlsmcp_cert_issue', arguments: { service: 'api', cn: 'agent', ttl: '1d' } });
    expect(issued.isError).toBeFalsy();
    const id = (issued.structuredContent as { id: string }).id;
    expect(JSON.stringify(issued)).not.toMatch(/PRIVATE KEY/);
    expect((await client.callTool({ name: 'tlsmcp_cert_list', arguments: { service: 'api' } })).structuredContent).toMatchObject({ count: 1 });
    expect((await client.callTool({ name: 'tlsmcp_cert_status', arguments: { id } })).structuredContent).toMatchObject({ healthy: true });
    const revoked = await client.callTool({ name: 'tlsmcp_cert_revoke', arguments: { id, reason: 'superseded' } });
    expect(revoked.structuredContent).toMatchObject({ id, reason: 'superseded', already_revoked: false });
    // No supervisor in this process (the agent-workflow test runs one): the proxy tools say so.
    for (const name of ['tlsmcp_proxy_status', 'tlsmcp_proxy_reload']) {
      const r = (await client.callTool({ name, arguments: {} })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/ERR_NOT_RUNNING/);
    }
    const scan = await client.callTool({ name: 'tlsmcp_scan', arguments: { target: `127.0.0.1:${serve.remote!.address.port}`, sni: 'localhost', probe_timeout: '2s', deadline: '20s' } });
    // The listener itself: TLS 1.3 only, client certificate required, chain from the local CA.
    expect(scan.structuredContent).toMatchObject({ tls: true, client_auth: { required: true }, chain: { trusted_local_ca: true } });
    const score = await client.callTool({ name: 'tlsmcp_score', arguments: { scan_listeners: false } });
    expect((score.structuredContent as { score: number }).score).toBeGreaterThan(0);

    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['tlsmcp://certs/api', 'tlsmcp://audit/api', 'tlsmcp://policy/api', 'tlsmcp://score']));
    const certs = await client.readResource({ uri: 'tlsmcp://certs/api' });
    expect(JSON.parse((certs.contents[0] as { text: string }).text)).toMatchObject({ service: 'api', count: 1 });
    const policy = await client.readResource({ uri: 'tlsmcp://policy/api' });
    expect(JSON.parse((policy.contents[0] as { text: string }).text)).toMatchObject({ mtls: { mode: 'required' } });
    const scoreResource = await client.readResource({ uri: 'tlsmcp://score' });
    expect(JSON.parse((scoreResource.contents[0] as { text: string }).text)).toMatchObject({ max: 100 });

    // The caller's certificate identity reached the handlers and the audit trail.
    const audit = JSON.parse(((await client.readResource({ uri: 'tlsmcp://audit/api' })).contents[0] as { text: string }).text) as {
      events: { kind: string; tool?: string; peer_cn?: string; serial?: string; fingerprint?: string }[];
    };
    const call = audit.events.find((e) => e.kind === 'tool_call' && e.tool === 'tlsmcp_cert_issue');
    expect(call).toMatchObject({ peer_cn: 'admin', serial: admin.record.serial, fingerprint: admin.record.fingerprint_sha256 });
    expect(audit.events.some((e) => e.kind === 'revocation')).toBe(true);
  });

  it('gives a read-only identity the read tools but refuses revoke, naming identity and permission', async () => {
    const client = await open(reader);
    expect((await client.callTool({ name: 'tlsmcp_cert_list', arguments: {} })).isError).toBeFalsy();
    const refused = (await client.callTool({ name: 'tlsmcp_cert_revoke', arguments: { id: admin.record.id } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/ERR_FORBIDDEN: CN=reader \(serial [0-9a-f]+\) lacks permission to call tlsmcp_cert_revoke/);
    expect((await ca.get(admin.record.id)).status).toBe('valid');
  });

  it('refuses a client without a certificate, and one from another CA', async () => {
    // Refused at the TLS layer, before any HTTP status: the socket is closed on the client.
    await expect(connectRemoteClient(baseUrl, kind, { ca: ca.caCertPem() })).rejects.toThrow(/fetch failed/);
    const foreign = await createTestPki();
    others.push(foreign);
    const stranger = await foreign.client('admin'); // same CN as the allowed identity: only the CA differs
    await expect(connectRemoteClient(baseUrl, kind, { ca: ca.caCertPem(), cert: stranger.certPem, key: stranger.keyPem! })).rejects.toThrow(/fetch failed/);
    expect(serve.remote!.sessionCount()).toBe(0);
  });

  it('cuts the live session of a caller whose certificate is revoked, and refuses it afterwards', async () => {
    const victim = await ca.issue({ type: 'client', service: 'ops', cn: 'reader-2' });
    const victimClient = await open(victim);
    expect((await victimClient.callTool({ name: 'tlsmcp_cert_list', arguments: {} })).isError).toBeFalsy();
    const adminClient = await open(admin);
    const result = await adminClient.callTool({ name: 'tlsmcp_cert_revoke', arguments: { id: victim.record.id, reason: 'keyCompromise' } });
    expect(result.structuredContent).toMatchObject({ mcp_sessions_closed: 1 });
    await expect(victimClient.callTool({ name: 'tlsmcp_cert_list', arguments: {} })).rejects.toThrow();
    await expect(connectRemoteClient(baseUrl, kind, { ca: ca.caCertPem(), cert: victim.certPem, key: victim.keyPem! })).rejects.toThrow();
    expect((await adminClient.callTool({ name: 'tlsmcp_cert_list', arguments: {} })).isError).toBeFalsy();
  });

  it('cuts a session when another process revokes the certificate (revocation list watch)', async () => {
    const victim = await ca.issue({ type: 'client', service: 'ops', cn: 'reader-3' });
    await open(victim);
    await open(admin);
    expect(serve.remote!.sessionCount()).toBe(2);
    const auditLog = createAuditLog(statePaths(join(dir, 'state')).auditLog);
    await createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(parseConfig(CONFIG)), audit: auditLog }).revoke(victim.record.id);
    await auditLog.close();
    await waitFor(() => serve.remote!.sessionCount() === 1, { what: 'the revoked session to be cut' });
  });
});

describe('remote MCP listener TLS', () => {
  let dir: string;
  let serve: McpServeHandle | undefined;
  afterEach(async () => {
    await serve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const handshakeError = async (port: number, caPem: string, cert?: { certPem: string; keyPem?: string | undefined }) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost', ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) });
    socket.on('secureConnect', () => socket.write('GET /mcp HTTP/1.1\r\nhost: localhost\r\n\r\n'));
    let code = 'closed without an error';
    socket.on('data', () => (code = 'got HTTP data'));
    socket.on('error', (err: NodeJS.ErrnoException) => (code = err.code ?? err.message));
    await new Promise((resolve) => socket.on('close', resolve));
    return code;
  };

  it('refuses a certificate-less client and a foreign-CA client in the TLS handshake itself', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-tls-'));
    serve = await startMcpServe({ config: parseConfig(CONFIG), stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(parseConfig(CONFIG)) });
    const port = serve.remote!.address.port;
    expect(await handshakeError(port, ca.caCertPem())).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    const foreign = await createTestPki();
    try {
      // The server aborts the handshake (alert unknown_ca or a reset, depending on timing): never an HTTP byte.
      expect(await handshakeError(port, ca.caCertPem(), await foreign.client('admin'))).toMatch(/^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET|closed without an error)$/);
    } finally {
      foreign.cleanup();
    }
  });

  it('without self_secure (loopback only): anonymous callers are read-only and foreign Host names are refused', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-tls-'));
    const config = parseConfig({ ...CONFIG, mcp: { ...CONFIG.mcp, self_secure: false } });
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
    const anonymous = await connectRemoteClient(serve.remote!.url, 'streamable-http', { ca: ca.caCertPem() });
    try {
      expect((await anonymous.client.callTool({ name: 'tlsmcp_cert_list', arguments: {} })).isError).toBeFalsy();
      const refused = (await anonymous.client.callTool({ name: 'tlsmcp_cert_issue', arguments: { service: 'api' } })) as CallToolResult;
      expect(text(refused)).toMatch(/an anonymous caller \(no client certificate\) lacks permission to call tlsmcp_cert_issue/);
    } finally {
      await anonymous.close();
    }
    // fetch will not send a forged Host header: speak HTTP/1.1 over TLS directly, as a rebound browser would.
    const socket = tlsConnect({ host: '127.0.0.1', port: serve.remote!.address.port, ca: ca.caCertPem(), servername: 'localhost' });
    let reply = '';
    socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
    socket.on('secureConnect', () => socket.write('GET /mcp HTTP/1.1\r\nhost: evil.example\r\naccept: text/event-stream\r\nconnection: close\r\n\r\n'));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
  });

  it('renews its own certificate before it expires, for new handshakes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-tls-'));
    const config = parseConfig({ ...CONFIG, server_cert: { ttl: '3s', renew_before: '2s' } });
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    const first = serve.remote!.certificateSerial;
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
    const cert = await ca.issue({ type: 'client', service: 'ops', cn: 'watcher' });
    await waitFor(() => serve!.remote!.certificateSerial !== first, { what: 'the listener certificate to be renewed' });
    const socket = tlsConnect({ host: '127.0.0.1', port: serve.remote!.address.port, ca: ca.caCertPem(), servername: 'localhost', cert: cert.certPem, key: cert.keyPem! });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.getPeerCertificate().serialNumber.toLowerCase()).toBe(serve.remote!.certificateSerial);
    socket.destroy();
  });

  it('closes Streamable HTTP sessions whose client went away without a DELETE', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-tls-'));
    const config = parseConfig(CONFIG);
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http', sessionIdleMs: 300 });
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
    const cert = await ca.issue({ type: 'client', service: 'ops', cn: 'drifter' });
    const remote = await connectRemoteClient(serve.remote!.url, 'streamable-http', { ca: ca.caCertPem(), cert: cert.certPem, key: cert.keyPem! });
    expect(serve.remote!.sessionCount()).toBe(1);
    await remote.close(); // the SDK client does not end its session on close
    await waitFor(() => serve!.remote!.sessionCount() === 0, { what: 'the idle session to be reaped' });
  });

  it('binds a session to the certificate that opened it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-tls-'));
    const config = parseConfig(CONFIG);
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
    const owner = await ca.issue({ type: 'client', service: 'ops', cn: 'owner' });
    const thief = await ca.issue({ type: 'client', service: 'ops', cn: 'thief' });
    const ownerFetch = createMtlsFetch({ ca: ca.caCertPem(), cert: owner.certPem, key: owner.keyPem! });
    const thiefFetch = createMtlsFetch({ ca: ca.caCertPem(), cert: thief.certPem, key: thief.keyPem! });
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = await ownerFetch.fetch(`${serve.remote!.url}/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } }),
      });
      expect(init.status).toBe(200);
      const sessionId = init.headers.get('mcp-session-id')!;
      await init.body?.cancel();
      const stolen = await thiefFetch.fetch(`${serve.remote!.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(stolen.status).toBe(403);
      await stolen.body?.cancel();
    } finally {
      await ownerFetch.close();
      await thiefFetch.close();
    }
  });
});
