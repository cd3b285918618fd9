/**
 * tlsmcp's own remote MCP listener lists to each identity only the tools it may
 * call (issue 17): a read-only certificate no longer sees the tools that change
 * state, a granted one sees exactly its grants, a deny rule hides a read tool.
 * Real HTTPS with mTLS on 127.0.0.1:0 and the SDK Client with certificates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpServe, type McpServeHandle } from '../../src/app/mcp-serve.js';
import { createCertificateAuthority, ttlPolicyFromConfig, type CertificateAuthority } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';

const READ_TOOLS = ['tlsmcp_cert_list', 'tlsmcp_cert_status', 'tlsmcp_proxy_status', 'tlsmcp_scan', 'tlsmcp_score'];

const CONFIG = {
  services: [{ name: 'files', listen: '127.0.0.1:0', protocol: 'mcp', backend: { command: ['true'] } }],
  mcp: {
    transport: 'http',
    sse_address: '127.0.0.1:0',
    authorization: [
      { identity: { cn: 'admin' }, allow_tools: ['tlsmcp_cert_*', 'tlsmcp_mcp_pins'] },
      { identity: { cn: 'auditor' }, deny_tools: ['tlsmcp_cert_list'] },
    ],
  },
};

describe('remote MCP listener: tools/list per identity', () => {
  let dir: string;
  let serve: McpServeHandle;
  let ca: CertificateAuthority;
  const clients: RemoteClient[] = [];

  const open = async (cn: string) => {
    const cert = await ca.issue({ type: 'client', service: 'ops', cn });
    const c = await connectRemoteClient(serve.remote!.url, 'streamable-http', { ca: ca.caCertPem(), cert: cert.certPem, key: cert.keyPem! });
    clients.push(c);
    return c.client;
  };
  const listed = async (cn: string) => (await (await open(cn)).listTools()).tools.map((t) => t.name).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-remote-list-'));
    const config = parseConfig(CONFIG, 'test config');
    serve = await startMcpServe({ config, stateDir: join(dir, 'state'), logger: createSilentLogger(), transport: 'http' });
    ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(config) });
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await serve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists only the read-only tools to an identity with no grant', async () => {
    expect(await listed('reader')).toEqual(READ_TOOLS);
  });

  it('lists the granted tools besides the read-only ones, and not the others', async () => {
    expect(await listed('admin')).toEqual([...READ_TOOLS, 'tlsmcp_cert_issue', 'tlsmcp_cert_revoke', 'tlsmcp_mcp_pins'].sort());
  });

  it('hides a read-only tool a deny rule refuses', async () => {
    expect(await listed('auditor')).toEqual(READ_TOOLS.filter((t) => t !== 'tlsmcp_cert_list'));
  });

  it('still refuses an unlisted tool on call; pins stay readable as a resource by anyone', async () => {
    const reader = await open('reader-2');
    const refused = (await reader.callTool({ name: 'tlsmcp_mcp_pins', arguments: { action: 'reset', service: 'files' } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect((refused.content[0] as { text: string }).text).toMatch(/^ERR_FORBIDDEN: .*lacks permission to call tlsmcp_mcp_pins/);
    const pins = await reader.readResource({ uri: 'tlsmcp://pins/files' });
    expect(JSON.parse((pins.contents[0] as { text: string }).text)).toEqual({ service: 'files', pins: [], pending: [] });

    const admin = await open('admin');
    const list = (await admin.callTool({ name: 'tlsmcp_mcp_pins', arguments: {} })) as CallToolResult;
    expect(list.isError, JSON.stringify(list)).toBeFalsy();
  });
});
