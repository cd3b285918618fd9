/**
 * The real `tlsmcp-mcp` bin over stdio: every tool and resource through the
 * SDK's StdioClientTransport, with a config that lists a service so the same
 * process also supervises its proxy worker; and the raw stdout of a session,
 * every line of which must be a JSON-RPC message.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { createStdioFixture, REPO_ROOT, type StdioFixture } from '../helpers/mcp-stdio.js';
import { waitFor } from '../helpers/mcp-wait.js';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

let backend: CountingBackend;
let fx: StdioFixture;

beforeEach(async () => {
  backend = await startEchoBackend();
  fx = createStdioFixture({
    version: 1,
    logging: { level: 'debug' },
    admin: { enabled: false },
    revocation_refresh: '250ms',
    services: [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }],
  });
});

afterEach(async () => {
  await backend.close();
  fx.cleanup();
});

describe('tlsmcp-mcp over stdio (SDK StdioClientTransport)', () => {
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('serves every tool and resource, with the proxy supervisor in the same process', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: fx.args(), cwd: REPO_ROOT, env: fx.env, stderr: 'pipe' });
    transport.stderr?.on('data', () => undefined); // logs go there; drain them
    client = new Client({ name: 'stdio-test', version: '0.0.0' });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown> = {}) => (await client!.callTool({ name, arguments: args })) as CallToolResult;

    const { tools } = await client.listTools();
    expect(tools).toHaveLength(9);

    const status = await call('tlsmcp_proxy_status');
    expect(status.isError).toBeFalsy();
    const api = (status.structuredContent as { services: { name: string; state: string; listen: string }[] }).services[0]!;
    expect(api).toMatchObject({ name: 'api', state: 'ready' });

    const issued = await call('tlsmcp_cert_issue', { service: 'api', cn: 'agent-1', ttl: '1d' });
    expect(issued.isError).toBeFalsy();
    const id = (issued.structuredContent as { id: string }).id;
    expect((await call('tlsmcp_cert_list', { service: 'api', type: 'client' })).structuredContent).toMatchObject({ count: 1 });
    expect((await call('tlsmcp_cert_status', { service: 'api' })).structuredContent).toMatchObject({ healthy: true, listener_certificate: { source: 'ca' } });
    expect((await call('tlsmcp_proxy_reload', { service: 'api' })).structuredContent).toMatchObject({ config_reloaded: true, results: [{ service: 'api', reloaded: true }] });
    const revoked = await call('tlsmcp_cert_revoke', { id, reason: 'superseded' });
    expect(revoked.structuredContent).toMatchObject({ supervisor_running: true, connections_closed: 0 });

    const scan = await call('tlsmcp_scan', { target: api.listen, sni: 'localhost', probe_timeout: '2s', deadline: '20s' });
    expect(scan.structuredContent).toMatchObject({ tls: true, reachable: true });
    const score = await call('tlsmcp_score', { scan_listeners: false });
    expect((score.structuredContent as { max: number }).max).toBe(100);

    const failed = await call('tlsmcp_cert_issue', { service: 'api', ttl: '400d' });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toMatch(/ERR_CERT_TTL/);

    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['tlsmcp://certs/api', 'tlsmcp://audit/api', 'tlsmcp://policy/api', 'tlsmcp://score']));
    const read = async (uri: string) => JSON.parse(((await client!.readResource({ uri })).contents[0] as { text: string }).text) as Record<string, unknown>;
    expect(await read('tlsmcp://certs/api')).toMatchObject({ service: 'api', count: 2 }); // the client certificate and the listener's own
    expect(await read('tlsmcp://policy/api')).toMatchObject({ mtls: { mode: 'required' }, tls: { versions: ['TLSv1.3'] } });
    expect(await read('tlsmcp://score')).toMatchObject({ max: 100 });
    const audit = (await read('tlsmcp://audit/api')) as { events: { kind: string; tool?: string; caller?: string }[] };
    expect(audit.events.filter((e) => e.kind === 'tool_call').map((e) => e.tool)).toEqual(
      expect.arrayContaining(['tlsmcp_cert_issue', 'tlsmcp_cert_revoke', 'tlsmcp_proxy_reload']),
    );
    expect(audit.events.find((e) => e.kind === 'tool_call')?.caller).toBe('the local caller');
  });
});

describe('tlsmcp-mcp stdout', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('carries only JSON-RPC, through successes, tool failures, protocol errors and debug logging', async () => {
    child = spawn(process.execPath, fx.args(['--log-level', 'debug']), { cwd: REPO_ROOT, env: fx.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const send = (msg: Record<string, unknown>) => child!.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
    const answered = (id: number) => stdout.split('\n').some((l) => l.includes(`"id":${id}`));

    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await waitFor(() => answered(1), { timeoutMs: 20_000, what: 'initialize' });
    send({ method: 'notifications/initialized' });
    const requests: [string, Record<string, unknown>][] = [
      ['tools/list', {}],
      ['tools/call', { name: 'tlsmcp_cert_issue', arguments: { service: 'api', cn: 'raw' } }],
      ['tools/call', { name: 'tlsmcp_cert_issue', arguments: { service: 'api', ttl: '400d' } }], // TTL over policy
      ['tools/call', { name: 'tlsmcp_cert_revoke', arguments: { id: 'no-such-id' } }], // unknown id
      ['tools/call', { name: 'tlsmcp_cert_issue', arguments: { service: 'api', csr: 'not a csr' } }], // bad CSR
      ['tools/call', { name: 'tlsmcp_no_such_tool', arguments: {} }],
      ['tools/call', { name: 'tlsmcp_cert_list', arguments: { status: 'bogus' } }], // fails input validation
      ['tools/call', { name: 'tlsmcp_proxy_status', arguments: {} }],
      ['resources/read', { uri: 'tlsmcp://policy/ghost' }],
      ['resources/read', { uri: 'tlsmcp://audit/api' }],
      ['no/such/method', {}],
    ];
    requests.forEach(([method, params], i) => send({ id: i + 2, method, params }));
    await waitFor(() => requests.every((_, i) => answered(i + 2)), { timeoutMs: 20_000, what: 'every response' });
    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(requests.length + 1);
    for (const line of lines) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      expect(msg.jsonrpc).toBe('2.0');
    }
    const byId = new Map(lines.map((l) => JSON.parse(l) as { id?: number; result?: { isError?: boolean }; error?: unknown }).map((m) => [m.id, m]));
    expect(byId.get(4)?.result?.isError).toBe(true);
    expect(byId.get(5)?.result?.isError).toBe(true);
    expect(byId.get(12)?.error).toBeDefined();
    // The logs went to stderr, as pino JSON.
    expect(stderr).toMatch(/"event":"mcp_stdio_ready"/);
  });
});
