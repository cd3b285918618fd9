/**
 * Two stdio MCP servers on one config that lists a service on a fixed port (two
 * clients, or an overlapping restart): the second cannot own the listener, yet
 * it stays up, serves its tools and reports the proxy as failed. The first keeps
 * the port to itself (a second process must not share it through reusePort).
 */
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { createStdioFixture, REPO_ROOT, type StdioFixture } from '../helpers/mcp-stdio.js';

interface Status {
  all_ready: boolean;
  services: { name: string; state: string; state_reason?: string; listen: string }[];
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let fx: StdioFixture;
let backend: CountingBackend;
let port: number;
const clients: Client[] = [];

beforeEach(async () => {
  backend = await startEchoBackend();
  port = await freePort();
  fx = createStdioFixture({
    admin: { enabled: false },
    services: [{ name: 'api', listen: `127.0.0.1:${port}`, backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }],
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await backend.close();
  fx.cleanup();
});

async function connect(name: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: fx.args(), cwd: REPO_ROOT, env: fx.env, stderr: 'pipe' });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const client = new Client({ name, version: '0.0.0' });
  clients.push(client);
  await client.connect(transport);
  return { client, stderr: () => log };
}

async function proxyStatus(client: Client): Promise<{ result: CallToolResult; status: Status }> {
  const result = (await client.callTool({ name: 'tlsmcp_proxy_status', arguments: {} })) as CallToolResult;
  return { result, status: result.structuredContent as unknown as Status };
}

describe('a second stdio MCP server on the same config', () => {
  it('stays up, serves its tools and reports the proxy as failed while the first owns the port', async () => {
    const first = await connect('first');
    const one = await proxyStatus(first.client);
    expect(one.status.services[0], first.stderr()).toMatchObject({ name: 'api', state: 'ready', listen: `127.0.0.1:${port}` });

    const second = await connect('second');
    const { tools } = await second.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['tlsmcp_proxy_status', 'tlsmcp_cert_list', 'tlsmcp_cert_issue']));

    const two = await proxyStatus(second.client);
    expect(two.result.isError, second.stderr()).toBeFalsy();
    expect(two.status.all_ready).toBe(false);
    expect(two.status.services[0]).toMatchObject({ name: 'api', state: 'failed' });
    expect(two.status.services[0]!.state_reason).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*(EADDRINUSE|another process)`));

    // The read-only tools still work in the second server.
    const list = (await second.client.callTool({ name: 'tlsmcp_cert_list', arguments: {} })) as CallToolResult;
    expect(list.isError).toBeFalsy();

    // The first one is untouched and still the only owner of the listener.
    expect((await proxyStatus(first.client)).status.services[0]).toMatchObject({ name: 'api', state: 'ready' });
  });

  it('stays up and reports the failure when a worker cannot start for another reason (an address not on this machine)', async () => {
    fx.cleanup();
    fx = createStdioFixture({
      admin: { enabled: false },
      // 192.0.2.0/24 is TEST-NET-1: never assigned here, so the bind fails with EADDRNOTAVAIL.
      services: [{ name: 'api', listen: '192.0.2.1:18443', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }],
    });
    const only = await connect('only');
    const { result, status } = await proxyStatus(only.client);
    expect(result.isError, only.stderr()).toBeFalsy();
    expect(status.services[0]).toMatchObject({ name: 'api', state: 'failed' });
    expect(status.services[0]!.state_reason).toMatch(/EADDRNOTAVAIL|address not available/i);
    const reload = (await only.client.callTool({ name: 'tlsmcp_proxy_reload', arguments: {} })) as CallToolResult;
    expect(reload.isError).toBe(true);
    expect(JSON.stringify(reload.content)).toMatch(/ERR_NOT_RUNNING/);
  });
});
