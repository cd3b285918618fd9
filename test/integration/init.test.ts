/**
 * `tlsmcp init` and the package entry points through the real CLI: the CA is
 * made once (key 0600), never silently replaced, and the state dir follows the
 * documented precedence.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCliSandbox, runCli, type CliSandbox } from '../helpers/cli.js';

const SLOW = 120_000;

let sb: CliSandbox;
beforeEach(() => {
  sb = createCliSandbox();
});
afterEach(() => sb.cleanup());

const x509Text = (file: string) => execFileSync('openssl', ['x509', '-noout', '-text', '-in', file], { encoding: 'utf8' });

describe('tlsmcp init', () => {
  it('creates an ECDSA P-256 root CA with a 0600 key, keeps it on rerun, replaces it only with --force', async () => {
    const first = await sb.run(['init']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created a certificate authority (ecdsa-p256) in ${sb.stateDir}`);
    const caCert = join(sb.stateDir, 'ca', 'ca.pem');
    const caKey = join(sb.stateDir, 'ca', 'ca.key');
    expect(statSync(caKey).mode & 0o777).toBe(0o600);
    const text = x509Text(caCert);
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toContain('Certificate Sign, CRL Sign');
    const original = readFileSync(caCert, 'utf8');
    const originalKey = readFileSync(caKey);

    const again = await sb.run(['init']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already exists');
    expect(again.stdout).toContain('--force');
    expect(readFileSync(caCert, 'utf8')).toBe(original);
    expect(readFileSync(caKey).equals(originalKey)).toBe(true);

    const forced = JSON.parse((await sb.run(['init', '--force', '--key-type', 'rsa-2048', '--json'])).stdout) as { created: boolean; replaced: string };
    expect(forced.created).toBe(true);
    expect(readFileSync(caCert, 'utf8')).not.toBe(original);
    expect(x509Text(caCert)).toContain('Public-Key: (2048 bit)');
    // The old CA was moved aside, not deleted.
    expect(readFileSync(join(forced.replaced, 'ca.pem'), 'utf8')).toBe(original);
    expect(readFileSync(join(forced.replaced, 'ca.key')).equals(originalKey)).toBe(true);
    expect(readdirSync(sb.stateDir).filter((f) => f.startsWith('ca.replaced-'))).toHaveLength(1);
  }, SLOW);

  it('chooses the state dir: --state, then TLSMCP_HOME, then the config state_dir', async () => {
    const fromEnv = join(sb.dir, 'from-env');
    const fromConfig = join(sb.dir, 'from-config');
    const config = join(sb.dir, 'tlsmcp.yaml');
    writeFileSync(config, `version: 1\nstate_dir: ${fromConfig}\n`);
    const home = mkdtempSync(join(tmpdir(), 'tlsmcp-home-'));
    try {
      const [byEnv, byConfig] = await Promise.all([
        runCli(['--config', config, 'init', '--json'], { env: { TLSMCP_HOME: fromEnv, HOME: home } }),
        runCli(['--config', config, 'init', '--json'], { env: { HOME: home } }),
      ]);
      expect(JSON.parse(byEnv.stdout).state_dir).toBe(fromEnv);
      expect(JSON.parse(byConfig.stdout).state_dir).toBe(fromConfig);
      expect(existsSync(join(fromEnv, 'ca', 'ca.key'))).toBe(true);
      expect(existsSync(join(fromConfig, 'ca', 'ca.key'))).toBe(true);
      const byFlag = await runCli(['--state', sb.stateDir, 'init', '--json'], { env: { TLSMCP_HOME: fromEnv, HOME: home } });
      expect(JSON.parse(byFlag.stdout).state_dir).toBe(sb.stateDir);
      expect(readdirSync(home)).toEqual([]); // ~/.tlsmcp untouched
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, SLOW);
});

describe('the tlsmcp command', () => {
  it('prints help with exit 0 for the program and its cert commands', async () => {
    const [top, cert, issue] = await Promise.all([runCli(['--help']), runCli(['cert', '--help']), runCli(['cert', 'issue', '--help'])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: tlsmcp/);
    expect(top.stdout).toMatch(/init \[options\]\s+create the local certificate authority/);
    expect(cert.code).toBe(0);
    for (const sub of ['issue', 'list', 'info', 'revoke', 'renew']) expect(cert.stdout).toMatch(new RegExp(`^  ${sub}`, 'm'));
    expect(issue.code).toBe(0);
    expect(issue.stdout).toContain('$TLSMCP_P12_PASSWORD, else empty');
  }, SLOW);

  it('runs as `npx tlsmcp` from a checkout (the package\'s own bin), without fetching anything', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'tlsmcp', '--help'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    expect(stdout).toMatch(/Usage: tlsmcp/);
  }, SLOW);
});
