/**
 * Bad input, the state dir's own files: a missing CA key (issue 9.11), a CA
 * key others can read, a state dir others can write and readable keys (issue
 * 9.7), through the real CLI. Each case names the property it proves.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/index.js';
import { inspectStatePermissions } from '../../src/state/permissions.js';
import { statePaths } from '../../src/state/state-dir.js';
import { TEST_POLICY } from '../helpers/ca-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startEchoBackend } from '../helpers/proxy-backend.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';

let root: string;
let base: string;
let n = 0;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tlsmcp-statefiles-'));
  base = join(root, 'base');
  const ca = createCertificateAuthority({ stateDir: base, policy: TEST_POLICY });
  await ca.init();
  await ca.issue({ type: 'client', service: 'api', cn: 'web-1' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of a state dir with a CA that has issued one certificate. */
function fresh(): string {
  n += 1;
  const state = join(root, `case-${n}`, 'state');
  cpSync(base, state, { recursive: true });
  return state;
}

const issue = (state: string) => runCli(['--state', state, 'cert', 'issue', '--type', 'client', '--service', 'api']);

describe('a missing CA key (issue 9.11)', () => {
  it('`cert issue` says ERR_CA_KEY_MISSING, exit 1, and its fix is to restore the key, not to make a new CA', async () => {
    const state = fresh();
    unlinkSync(statePaths(state).caKey);
    const result = await issue(state);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_CA_KEY_MISSING: the CA private key .*ca\.key is missing \(the CA certificate is there\)/);
    expect(result.stderr).toMatch(/fix: restore .*ca\.key \(mode 0600\) from a backup of the state dir; a new CA would orphan the 1 certificate/);
    expect(result.stderr).not.toMatch(/tlsmcp init/);
  });

  it('`tlsmcp init` over a CA whose key is missing refuses, and the CA certificate stays byte for byte', async () => {
    const state = fresh();
    const paths = statePaths(state);
    const before = readFileSync(paths.caCert, 'utf8');
    unlinkSync(paths.caKey);
    const result = await runCli(['--state', state, 'init']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_CA_KEY_MISSING: .*tlsmcp init will not make a new CA over it/);
    expect(readFileSync(paths.caCert, 'utf8')).toBe(before);
    expect(existsSync(paths.caKey)).toBe(false);
  });

  it('`tlsmcp init` with the whole CA dir gone but an inventory left refuses (ERR_CA_MISSING) instead of orphaning its certificates', async () => {
    const state = fresh();
    rmSync(statePaths(state).caDir, { recursive: true });
    const result = await runCli(['--state', state, 'init']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_CA_MISSING: .*inventory\.json lists 1 certificate\(s\) issued by a CA that is no longer in/);
    expect(existsSync(statePaths(state).caCert)).toBe(false);
  });

  it('`tlsmcp init --force` still replaces it when asked explicitly, moving the old CA aside', async () => {
    const state = fresh();
    unlinkSync(statePaths(state).caKey);
    const result = await runCli(['--state', state, 'init', '--force', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: true, replaced: expect.stringContaining('ca.replaced-') });
  });
});

describe('file modes (issue 9.7)', () => {
  it('a CA key of mode 0644 is refused for signing: ERR_CA_KEY_INSECURE with `chmod 600 …` as the fix, nothing issued', async () => {
    const state = fresh();
    const paths = statePaths(state);
    chmodSync(paths.caKey, 0o644);
    const before = readFileSync(paths.inventory, 'utf8');
    const result = await issue(state);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_CA_KEY_INSECURE: the CA private key .*ca\.key has mode 0644: group or others can read it/);
    expect(result.stderr).toContain(`fix: chmod 600 ${paths.caKey}`);
    expect(readFileSync(paths.inventory, 'utf8')).toBe(before);
  });

  it('a CA key of mode 0640 (group-readable) is refused too; 0600 and 0400 are accepted', async () => {
    const state = fresh();
    const paths = statePaths(state);
    chmodSync(paths.caKey, 0o640);
    expect((await issue(state)).stderr).toMatch(/ERR_CA_KEY_INSECURE: .*mode 0640/);
    chmodSync(paths.caKey, 0o400);
    expect((await issue(state)).code).toBe(0);
  });

  it('the findings name each problem with its chmod: 0777 state dir, readable issued key, readable configured key_file, insecure CA key', () => {
    const state = fresh();
    const paths = statePaths(state);
    chmodSync(state, 0o777);
    chmodSync(paths.caKey, 0o644);
    const [id] = JSON.parse(readFileSync(paths.inventory, 'utf8')).certs.map((c: { id: string }) => c.id) as string[];
    chmodSync(join(paths.certDir(id!), 'key.pem'), 0o644);
    const keyFile = join(state, '..', 'server.key');
    writeFileSync(keyFile, 'not really a key', { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const findings = inspectStatePermissions(state, { services: [{ server_cert: { key_file: keyFile }, backend: {} }] } as never);
    expect(findings.map((f) => [f.level, f.mode, f.fix])).toEqual([
      ['warning', '0777', `chmod 700 ${state}`],
      ['error', '0644', `chmod 600 ${paths.caKey} (and check who may have copied it)`],
      ['warning', '0644', `chmod 600 ${join(paths.certDir(id!), 'key.pem')}`],
      ['warning', '0644', `chmod 600 ${keyFile}`],
    ]);
    chmodSync(state, 0o700);
  });

  it('`tlsmcp run` refuses to start with a 0644 CA key (exit 1, chmod 600 in the message), and starts with warnings for a 0777 state dir and a 0644 key', async () => {
    const state = fresh();
    const paths = statePaths(state);
    const backend = await startEchoBackend();
    const config = join(state, '..', 'tlsmcp.yaml');
    writeFileSync(config, ['version: 1', 'admin: { enabled: false }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`, ''].join('\n'));
    try {
      chmodSync(paths.caKey, 0o644);
      const refused = await runCli(['--state', state, 'run', '--config', config], { timeoutMs: 60_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/ERR_CA_KEY_INSECURE/);
      expect(refused.stderr).toContain(`chmod 600 ${paths.caKey}`);

      chmodSync(paths.caKey, 0o600);
      chmodSync(state, 0o777);
      const [id] = JSON.parse(readFileSync(paths.inventory, 'utf8')).certs.map((c: { id: string }) => c.id) as string[];
      chmodSync(join(paths.certDir(id!), 'key.pem'), 0o644);
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/tlsmcp.js'), '--state', state, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await waitFor(() => existsSync(paths.runtimeFile) || (child.exitCode !== null && `exited ${child.exitCode}: ${stderr}`), { timeoutMs: 60_000, what: 'the run to start' });
        expect(child.exitCode).toBeNull();
        expect(stderr).toContain(`fix: chmod 700 ${state}`);
        expect(stderr).toContain(`fix: chmod 600 ${join(paths.certDir(id!), 'key.pem')}`);
        expect(stderr).toMatch(/insecure_permissions/);
      } finally {
        child.kill('SIGTERM');
        if (child.exitCode === null) await eventWithin(child, 'exit', 20_000);
        chmodSync(state, 0o700);
      }
      expect(statSync(paths.caKey).mode & 0o777).toBe(0o600);
    } finally {
      await backend.close();
    }
  }, 120_000);
});
