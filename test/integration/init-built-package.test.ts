/**
 * The built package works: compile with tsconfig.build.json into a temp copy of
 * the package layout (bin/ + dist/, no src/, as npm installs it) and run the
 * compiled CLI from there. Slow (a full tsc run), so it is one test.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertRecord } from '../../src/ca/index.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

let pkg: string;
beforeEach(() => {
  pkg = mkdtempSync(join(tmpdir(), 'tlsmcp-pkg-'));
});
afterEach(() => rmSync(pkg, { recursive: true, force: true }));

describe('the built package', () => {
  it('runs --help, init and cert issue from dist/ without the TypeScript source', async () => {
    cpSync(join(REPO_ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    cpSync(join(REPO_ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    // Same compiler and config as `npm run build`, only the output dir differs,
    // so the test never touches the repo's dist/ while others work in the tree.
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
      encoding: 'utf8',
    });
    expect(existsSync(join(pkg, 'dist', 'src', 'cli', 'main.js')), tsc.stdout + tsc.stderr).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false);

    const bin = join(pkg, 'bin', 'tlsmcp.js');
    const help = await runCli(['--help'], { bin });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: tlsmcp/);

    const state = join(pkg, 'state');
    const init = await runCli(['--state', state, 'init'], { bin });
    expect(init.code, init.stderr).toBe(0);
    const issued = await runCli(['--state', state, 'cert', 'issue', '--type', 'server', '--service', 'api', '--dns', 'localhost', '--json'], { bin });
    expect(issued.code, issued.stderr).toBe(0);
    const record = JSON.parse(issued.stdout) as CertRecord;
    expect(execFileSync('openssl', ['verify', '-CAfile', join(state, 'ca', 'ca.pem'), record.files.cert], { encoding: 'utf8' })).toContain(': OK');
  }, 300_000);
});
