/**
 * The issue's example service: server-filesystem (from npm) on a temp dir behind
 * the front, with `ci-bot` allowed read_* and list_* and the `admins` OU allowed
 * everything. A denied write_file never reaches the backend: the file does not
 * appear. The admin's identical call writes it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { filesystemCommand, startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';

describe('MCP front over server-filesystem: per-tool authorization', () => {
  let pki: TestPki;
  let fx: FrontFixture;
  let data: string;
  let ciBot: IssueResult;
  let admin: IssueResult;

  beforeAll(async () => {
    pki = await createTestPki();
    data = mkdtempSync(join(tmpdir(), 'tlsmcp-fs-'));
    writeFileSync(join(data, 'hello.txt'), 'hello from the data dir\n');
    fx = await startFrontFixture(pki, {
      backend: { command: filesystemCommand(data) },
      mtls: { mode: 'required' },
      authorization: [
        { identity: { cn: 'ci-bot' }, allow_tools: ['read_*', 'list_*'] },
        { identity: { ou: 'admins' }, allow_tools: ['*'] },
      ],
    });
    [ciBot, admin] = await Promise.all([pki.client('ci-bot'), pki.client('alice', { ou: 'admins' })]);
  });

  afterAll(async () => {
    await fx?.close();
    pki?.cleanup();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('lets ci-bot read but never lets its write_file reach the backend', async () => {
    const { client } = await fx.connect(ciBot, 'streamable-http');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('read_text_file');
    expect(names).toContain('list_directory');
    expect(names).not.toContain('write_file');
    const read = (await client.callTool({ name: 'read_text_file', arguments: { path: join(data, 'hello.txt') } })) as CallToolResult;
    expect((read.content[0] as { text: string }).text).toContain('hello from the data dir');

    const target = join(data, 'from-ci-bot.txt');
    await expect(client.callTool({ name: 'write_file', arguments: { path: target, content: 'pwned' } })).rejects.toThrow(
      /ci-bot.*lacks permission tool:write_file.*read_\*, list_\*/,
    );
    expect(existsSync(target)).toBe(false);

    await fx.auditLog.flush();
    const denied = (await fx.auditLog.read({ kind: 'mcp_request', limit: 1000 })).find((e) => e.tool === 'write_file' && e.peer_cn === 'ci-bot');
    expect(denied).toMatchObject({ outcome: 'denied', method: 'tools/call', serial: ciBot.record.serial });
  });

  it('lets an admin (OU admins) write the same file, over SSE', async () => {
    const { client } = await fx.connect(admin, 'sse');
    const target = join(data, 'from-admin.txt');
    const result = (await client.callTool({ name: 'write_file', arguments: { path: target, content: 'written by admin' } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(readFileSync(target, 'utf8')).toBe('written by admin');
  });
});
