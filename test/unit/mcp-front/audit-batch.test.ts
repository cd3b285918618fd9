import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBatchedAuditLog } from '../../../src/mcp-front/audit-batch.js';
import { createAuditLog, type AuditEvent } from '../../../src/state/audit-log.js';
import { waitFor } from '../../helpers/mcp-wait.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-audit-batch-'));
  path = join(dir, 'state', 'audit.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const event = (n: number): AuditEvent => ({ time: `2026-01-01T00:00:0${n}Z`, kind: 'mcp_request', service: 'files', result: 'ok', tool: `t${n}`, session: 's' });
const lines = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { tool: string }).tool) : []);

describe('batched audit log (the MCP front worker)', () => {
  it('keeps appends off the disk until the batch is written, then writes them all, in order, 0600', async () => {
    const log = createBatchedAuditLog(path, { flushMs: 60_000, exitHook: new EventEmitter() });
    for (let n = 1; n <= 3; n += 1) log.append(event(n));
    expect(lines()).toEqual([]);
    await log.flush();
    expect(lines()).toEqual(['t1', 't2', 't3']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // The audit log reads the batches like any other lines.
    expect((await createAuditLog(path).read({ kind: 'mcp_request' })).map((e) => e.tool)).toEqual(['t3', 't2', 't1']);
    await log.close();
  });

  it('writes a batch on its own after flushMs', async () => {
    const log = createBatchedAuditLog(path, { flushMs: 5, exitHook: new EventEmitter() });
    log.append(event(1));
    log.append(event(2));
    await waitFor(() => lines().length === 2 || undefined, { what: 'the batch written by its timer' });
    expect(lines()).toEqual(['t1', 't2']);
    await log.close();
  });

  it('writes at once past maxBytes and keeps batches in order while one is in flight', async () => {
    const log = createBatchedAuditLog(path, { flushMs: 60_000, maxBytes: 1, exitHook: new EventEmitter() });
    for (let n = 1; n <= 9; n += 1) log.append(event(n));
    await log.flush();
    expect(lines()).toEqual(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
    await log.close();
  });

  it('close() writes what is queued, is safe twice, and drops later appends', async () => {
    const hook = new EventEmitter();
    const log = createBatchedAuditLog(path, { flushMs: 60_000, exitHook: hook });
    log.append(event(1));
    expect(hook.listenerCount('exit')).toBe(1);
    await log.close();
    await log.close();
    log.append(event(2));
    await log.flush();
    expect(lines()).toEqual(['t1']);
    expect(hook.listenerCount('exit')).toBe(0);
  });

  it('writes the queue synchronously when the process exits without a close', () => {
    const hook = new EventEmitter();
    const log = createBatchedAuditLog(path, { flushMs: 60_000, exitHook: hook });
    log.append(event(1));
    log.append(event(2));
    hook.emit('exit');
    expect(lines()).toEqual(['t1', 't2']);
  });

  it.each([
    ['process.exit()', 'process.exit(3);', 3],
    ['an uncaught exception', "throw new Error('boom');", 1],
  ])('loses nothing when a real process ends by %s right after appending', async (_what, end, code) => {
    const script = join(dir, 'writer.mjs');
    const module = pathToFileURL(resolve('src/mcp-front/audit-batch.ts')).href;
    writeFileSync(
      script,
      `const { createBatchedAuditLog } = await import(${JSON.stringify(module)});
const log = createBatchedAuditLog(${JSON.stringify(path)}, { flushMs: 60_000 });
for (let n = 1; n <= 3; n += 1) log.append({ time: 't', kind: 'mcp_request', service: 'files', tool: 't' + n });
${end}
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    expect({ exit, stderr: exit === code ? '' : stderr }).toEqual({ exit: code, stderr: '' });
    expect(lines()).toEqual(['t1', 't2', 't3']);
  }, 30_000);

  it('reports a failed write and never throws to the request path', async () => {
    writeFileSync(join(dir, 'state'), 'a file where the directory should be');
    const errors: Error[] = [];
    const log = createBatchedAuditLog(path, { flushMs: 60_000, exitHook: new EventEmitter(), onError: (err) => errors.push(err) });
    log.append(event(1));
    await log.flush();
    expect(errors.length).toBeGreaterThan(0);
    await log.close();
  });
});
