import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../../src/state/audit-log.js';

let dir: string;
let log: AuditLog;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-audit-'));
  log = createAuditLog(join(dir, 'audit.log'));
});
afterEach(async () => {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit log', () => {
  it('appends JSON lines (0600) and reads them newest first, filtered', async () => {
    log.append({ time: '2024-01-01T00:00:00Z', kind: 'cert', service: 'web', result: 'issued', serial: '01' });
    log.append({ time: '2024-01-01T00:00:01Z', kind: 'connection', service: 'api', result: 'allowed', peer_cn: 'web' });
    log.append({ time: '2024-01-01T00:00:02Z', kind: 'revocation', service: 'web', reason: 'keyCompromise', serial: '01' });
    expect((await log.read()).map((e) => e.kind)).toEqual(['revocation', 'connection', 'cert']);
    expect((await log.read({ service: 'web' })).map((e) => e.kind)).toEqual(['revocation', 'cert']);
    expect((await log.read({ kind: 'connection' }))[0]?.peer_cn).toBe('web');
    expect((await log.read({ limit: 1 })).map((e) => e.kind)).toEqual(['revocation']);
    expect(statSync(join(dir, 'audit.log')).mode & 0o777).toBe(0o600);
  });

  it('skips a torn last line left by a crash', async () => {
    log.append({ time: '2024-01-01T00:00:00Z', kind: 'cert', service: 'web' });
    await log.flush();
    appendFileSync(join(dir, 'audit.log'), '{"time":"2024-01-01T00:00:01Z","kind":"co');
    expect(await log.read()).toHaveLength(1);
  });

  it('flush() resolves after small appends (bug: it waited for a drain event that never fired)', async () => {
    log.append({ time: 't', kind: 'cert', service: 'web' });
    await log.flush();
    await log.flush(); // nothing pending: resolves at once
    expect(await log.read()).toHaveLength(1);
  });

  it('reports a failed append to onError instead of crashing', async () => {
    const errors: Error[] = [];
    log.append({ time: 't', kind: 'cert', service: 'web' });
    await log.flush();
    // Its parent is a file: the directory cannot be made.
    const underFile = createAuditLog(join(dir, 'audit.log', 'x.log'), { onError: (e) => errors.push(e) });
    underFile.append({ time: 't', kind: 'cert', service: 'web' });
    await underFile.flush();
    // It is a directory: the stream fails to open, asynchronously.
    const isDir = createAuditLog(dir, { onError: (e) => errors.push(e) });
    isDir.append({ time: 't', kind: 'cert', service: 'web' });
    await expect.poll(() => errors.length).toBe(2);
    await isDir.flush();
    await underFile.close();
    await isDir.close();
  });

  it('writes nothing when disabled', async () => {
    const off = createAuditLog(join(dir, 'off.log'), { enabled: false });
    off.append({ time: 't', kind: 'cert', service: 'web' });
    expect(await off.read()).toEqual([]);
    await off.close();
  });
});
