/**
 * mcp.json at the repo root: valid JSON in the shape MCP clients read, every
 * entry a stdio entry whose arguments `tlsmcp-mcp` accepts, and `tlsmcp-mcp`
 * serving its tools when TLSMCP_CONFIG names a file nothing has written yet.
 * (package-tarball.test.ts drives each entry against the installed package.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MCP_BIN, REPO_ROOT } from '../helpers/mcp-stdio.js';

interface McpJson {
  mcpServers: Record<string, { command?: string; args?: string[]; env?: Record<string, string>; type?: string; url?: string }>;
}

const file = JSON.parse(readFileSync(join(REPO_ROOT, 'mcp.json'), 'utf8')) as McpJson;

describe('mcp.json', () => {
  it('has only stdio entries: a JSON-configured client cannot present a client certificate to the HTTP listener', () => {
    const entries = Object.values(file.mcpServers);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.command).toBeTypeOf('string');
      expect(entry.url).toBeUndefined();
    }
  });

  it('runs the installed tlsmcp-mcp bin through npx, never fetching a same-named package from the registry, with arguments it accepts', async () => {
    const entry = file.mcpServers.tlsmcp!;
    expect(entry.command).toBe('npx');
    expect(entry.args?.[0]).toBe('--no-install');
    expect(entry.args).not.toContain('-y');
    const bin = entry.args!.indexOf('tlsmcp-mcp');
    expect(bin).toBeGreaterThan(0);
    // Absolute paths in env would only work on the machine they were written on.
    for (const value of Object.values(entry.env ?? {})) expect(value).not.toMatch(/^\/(Users|home)\//);
    const out = new PassThrough();
    const code = await main(['mcp', 'serve', ...entry.args!.slice(bin + 1), '--help'], { stdout: out, stderr: new PassThrough(), env: {}, cwd: REPO_ROOT });
    expect(code).toBe(0);
  });
});

describe('tlsmcp-mcp with TLSMCP_CONFIG naming a file not written yet', () => {
  let dir: string | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves its tools on the defaults and creates the CA, instead of exiting (the client saw "Connection closed")', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-json-'));
    const home = join(dir, 'tlsmcp-home');
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('TLSMCP_')));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_BIN, '--log-level', 'warn'],
      env: { ...env, TLSMCP_HOME: home, TLSMCP_CONFIG: join(home, 'tlsmcp.yaml') },
      cwd: dir,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    client = new Client({ name: 'mcp-json-test', version: '0.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name), stderr).toContain('tlsmcp_cert_issue');
    const issued = (await client.callTool({ name: 'tlsmcp_cert_issue', arguments: { service: 'api', cn: 'agent-1', ttl: '1d' } })) as CallToolResult;
    expect(issued.isError, stderr).toBeFalsy();
    expect(existsSync(join(home, 'ca', 'ca.pem'))).toBe(true);
    expect(existsSync(join(home, 'tlsmcp.yaml'))).toBe(false); // nothing is written in the user's name
    expect(stderr).toMatch(/does not exist yet/);
  });
});
