/**
 * `npm start` runs `node native/build.mjs --if-missing --optional` first, so the
 * README's first command serves on the native data path on a machine with a
 * compiler and still starts (on Node's listener) on one without. Run here on a
 * copy of native/ beside this checkout's node_modules, so the suite's own addon
 * is never rebuilt under the other tests.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tlsmcp-native-build-'));
  cpSync(join(repo, 'native'), join(root, 'native'), { recursive: true, filter: (src) => !/[/\\]build(-asan)?$/.test(src) });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const addon = () => join(root, 'native', 'build', 'Release', 'tlsmcp_native.node');
const build = (env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(root, 'native', 'build.mjs'), '--if-missing', '--optional'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });

describe('native/build.mjs --if-missing --optional', () => {
  it('builds the addon when there is none, and leaves it alone once there is', () => {
    const first = build();
    expect(first.status, first.stderr).toBe(0);
    expect(existsSync(addon())).toBe(true);
    const built = statSync(addon()).mtimeMs;
    const again = build();
    expect(again.status).toBe(0);
    expect(statSync(addon()).mtimeMs).toBe(built);
  });

  it('without a working compiler says so in one line and exits 0, so tlsmcp still starts', () => {
    const r = build({ CC: '/nonexistent/cc', CXX: '/nonexistent/c++' });
    expect(r.status).toBe(0);
    expect(existsSync(addon())).toBe(false);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/native data path addon could not be built \(node-gyp exited \d+\); services run on Node's listener/);
  });
});
