/**
 * No private key material in anything the CLI prints or logs: every command,
 * at --log-level debug, stdout and stderr together, checked for PEM headers and
 * for every base64 line of every key file in the state and --out dirs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertRecord } from '../../src/ca/index.js';
import { createCliSandbox, type CliSandbox } from '../helpers/cli.js';

let sb: CliSandbox;
beforeEach(() => {
  sb = createCliSandbox();
});
afterEach(() => sb.cleanup());

/** Every file under dir whose name says it holds a key. */
function keyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && /(key\.pem|ca\.key)$/.test(f));
}

describe('private keys stay out of output and logs', () => {
  it('prints no key material from any cert command, even at debug level', async () => {
    const out = join(sb.dir, 'out');
    const debug = (args: string[]) => sb.run(['--log-level', 'debug', ...args]);
    const transcript: string[] = [];
    const record = async (args: string[]) => {
      const r = await debug(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      transcript.push(r.stdout, r.stderr);
      return r;
    };
    await record(['init', '--json']);
    const plain = JSON.parse((await record(['cert', 'issue', '--type', 'client', '--service', 'web', '--json'])).stdout) as CertRecord;
    await record(['cert', 'issue', '--type', 'server', '--service', 'api', '--dns', 'localhost', '--key-type', 'rsa-2048', '--out', out, '--p12', '--p12-password', 'pw']);
    await record(['cert', 'issue', '--type', 'client', '--service', 'web', '--p12', '--json']);
    await record(['cert', 'list', '--json']);
    await record(['cert', 'info', plain.id, '--json']);
    await record(['cert', 'info', join(out, 'cert.pem')]);
    await record(['cert', 'renew', plain.id, '--json']);
    await record(['cert', 'revoke', plain.id, '--reason', 'superseded', '--json']);
    await record(['ca', 'crl']);
    const all = transcript.join('\n');

    // The debug logs were really on: the CA's own events are in there.
    expect(all).toContain('"event":"cert_issued"');
    expect(all).toContain('"event":"cert_revoked"');

    expect(all).not.toMatch(/PRIVATE KEY/);
    const keys = [...keyFiles(sb.stateDir), ...keyFiles(out)];
    expect(keys.length).toBeGreaterThanOrEqual(5); // CA key, three issued keys, the renewed one
    for (const file of keys) {
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(all.includes(line), `a line of ${file} appeared in the output`).toBe(false);
    }
    // The audit trail in the state dir is just as clean.
    const audit = readFileSync(join(sb.stateDir, 'audit.log'), 'utf8');
    expect(audit).toContain('"kind":"cert"');
    expect(audit).not.toMatch(/PRIVATE KEY/);
  }, 180_000);
});
