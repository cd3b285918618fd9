/**
 * mcp.json at the repo root: valid JSON in the shapes MCP clients read, and
 * the stdio entry's arguments are ones `tlsmcp-mcp` accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/mcp-stdio.js';

interface McpJson {
  mcpServers: Record<string, { command?: string; args?: string[]; env?: Record<string, string>; type?: string; url?: string }>;
}

describe('mcp.json', () => {
  const file = JSON.parse(readFileSync(join(REPO_ROOT, 'mcp.json'), 'utf8')) as McpJson;

  it('has a Claude Desktop stdio entry running the tlsmcp-mcp bin through npx', async () => {
    const entry = file.mcpServers.tlsmcp!;
    expect(entry.command).toBe('npx');
    expect(entry.args?.[0]).toBe('-y');
    const bin = entry.args!.indexOf('tlsmcp-mcp');
    expect(bin).toBeGreaterThan(0);
    expect(Object.keys(entry.env ?? {})).toEqual(expect.arrayContaining(['TLSMCP_HOME', 'TLSMCP_CONFIG']));
    const out = new PassThrough();
    const code = await main(['mcp', 'serve', ...entry.args!.slice(bin + 1), '--help'], { stdout: out, stderr: new PassThrough(), env: {}, cwd: REPO_ROOT });
    expect(code).toBe(0);
  });

  it('has an HTTP client entry pointing at the Streamable HTTP endpoint', () => {
    const entry = file.mcpServers['tlsmcp-http']!;
    expect(entry.url).toMatch(/^https:\/\/.+\/mcp$/);
  });

  it('has a stdio entry that bridges to an mTLS-fronted MCP server through tlsmcp connect', async () => {
    const entry = file.mcpServers['files-via-tlsmcp']!;
    expect(entry.command).toBe('npx');
    const at = entry.args!.indexOf('connect');
    expect(at).toBeGreaterThan(0);
    expect(entry.args).toEqual(expect.arrayContaining(['--cert', '--key', '--ca']));
    const out = new PassThrough();
    const code = await main([...entry.args!.slice(at), '--help'], { stdout: out, stderr: new PassThrough(), env: {}, cwd: REPO_ROOT });
    expect(code).toBe(0);
  });
});
