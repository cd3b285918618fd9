import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartTime, tryLock } from '../../../src/state/pid-lock.js';

let dir: string;
let lock: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-pidlock-'));
  lock = join(dir, 'x.lock');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const owner = (pid: number, start: string | null) => JSON.stringify({ pid, start, host: hostname(), token: 'other', since: new Date().toISOString() });

describe('tryLock', () => {
  it('takes a free lock, refuses a second taker while held, and frees it on release', () => {
    const first = tryLock(lock);
    expect(first.acquired).toBe(true);
    const second = tryLock(lock);
    expect(second).toMatchObject({ acquired: false, holder: { pid: process.pid } });
    if (first.acquired) first.lock.release();
    expect(existsSync(lock)).toBe(false);
    expect(tryLock(lock).acquired).toBe(true);
  });

  it('breaks at once the lock of a process that is gone (kill -9 leaves one behind)', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, owner(gone, null));
    const result = tryLock(lock);
    expect(result.acquired).toBe(true);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('treats a live pid with another start time as reused (e.g. pid 1 in a restarted container), so the lock is stale', () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    writeFileSync(lock, owner(process.pid, '1'));
    expect(tryLock(lock).acquired).toBe(true);
  });

  it('keeps a lock of an unknown host (a shared file system): it cannot tell, so it fails safe', () => {
    writeFileSync(lock, JSON.stringify({ pid: 1, start: null, host: 'elsewhere.invalid', token: 't', since: 'x' }));
    expect(tryLock(lock)).toMatchObject({ acquired: false, holder: { host: 'elsewhere.invalid' } });
  });

  it('waits on an unreadable lock while it is fresh, and breaks it once it is old', () => {
    writeFileSync(lock, '');
    expect(tryLock(lock)).toMatchObject({ acquired: false, holder: undefined });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(tryLock(lock).acquired).toBe(true);
  });

  it('release leaves alone a lock that someone else holds now', () => {
    const mine = tryLock(lock);
    if (!mine.acquired) throw new Error('not acquired');
    writeFileSync(lock, owner(process.pid, processStartTime(process.pid)));
    mine.lock.release();
    expect(existsSync(lock)).toBe(true);
  });

  it('of six processes racing for one lock at the same moment, exactly one gets it', async () => {
    const script = join(dir, 'race.mts');
    const gate = join(dir, 'go');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
import { tryLock } from ${JSON.stringify(resolve('src/state/pid-lock.ts'))};
while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setImmediate(r));
const r = tryLock(${JSON.stringify(lock)});
process.stdout.write(r.acquired ? 'won' : 'lost');
// Hold until the parent closes stdin, so a winner's lock outlives the race.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`,
    );
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outputs = children.map((c) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      return () => out;
    });
    // Start them all before opening the gate, so they race.
    await Promise.all(children.map((c) => once(c, 'spawn')));
    writeFileSync(gate, '');
    const deadline = Date.now() + 30_000;
    while (outputs.some((o) => o() === '') && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const results = outputs.map((o) => o());
    for (const c of children) c.stdin!.end();
    await Promise.all(children.map((c) => once(c, 'close')));
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'lost')).toHaveLength(5);
  });
});
