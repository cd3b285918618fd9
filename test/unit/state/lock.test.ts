import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStateLock } from '../../../src/state/lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('withStateLock', () => {
  it('serializes read-modify-write cycles within a process', async () => {
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withStateLock(dir, async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          const n = Number(readFileSync(counter, 'utf8'));
          await tick(); // give another holder the chance to interleave, if the lock let it
          writeFileSync(counter, String(n + 1));
          inside -= 1;
        }),
      ),
    );
    expect(readFileSync(counter, 'utf8')).toBe('6');
    expect(maxInside).toBe(1);
  });

  it('serializes separate processes', async () => {
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const script = join(dir, 'bump.mts');
    const lockModule = resolve('src/state/lock.ts');
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs';
import { withStateLock } from ${JSON.stringify(lockModule)};
for (let i = 0; i < 10; i++) {
  await withStateLock(${JSON.stringify(dir)}, async () => {
    const n = Number(readFileSync(${JSON.stringify(counter)}, 'utf8'));
    await new Promise((r) => setImmediate(r));
    writeFileSync(${JSON.stringify(counter)}, String(n + 1));
  });
}
`,
    );
    const children = Array.from({ length: 3 }, () => spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'inherit'] }));
    const codes = await Promise.all(children.map(async (c) => (await once(c, 'close'))[0]));
    expect(codes).toEqual([0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('30');
  });

  it('releases the lock when the action throws', async () => {
    await expect(withStateLock(dir, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withStateLock(dir, () => 'again', { retries: 0 })).resolves.toBe('again');
  });

  it('reports ERR_STATE_LOCKED naming the state dir when another holder keeps it', async () => {
    let release!: () => void;
    const held = withStateLock(dir, () => new Promise<void>((r) => (release = r)));
    await expect.poll(() => release !== undefined).toBe(true);
    await expect(withStateLock(dir, () => 'never', { retries: 1 })).rejects.toMatchObject({ code: 'ERR_STATE_LOCKED', message: expect.stringContaining(dir) });
    release();
    await held;
  });

  it('creates a missing state dir', async () => {
    const nested = join(dir, 'new', 'state');
    await withStateLock(nested, () => mkdirSync(join(nested, 'ok')));
    expect(existsSync(join(nested, 'ok'))).toBe(true);
  });
});
