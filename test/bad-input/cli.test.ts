/**
 * Bad input, the CLI: bad flags and values to `cert issue` / `cert revoke`
 * through the real binary. The properties: a clear error naming the flag (exit
 * 2 for usage, 1 for refusals), on one line even when the value holds control
 * characters, and nothing lost: the inventory and revocations stay byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/index.js';
import { statePaths } from '../../src/state/state-dir.js';
import { TEST_POLICY } from '../helpers/ca-fixture.js';
import { runCli } from '../helpers/cli.js';

let root: string;
let state: string;
let inventoryBefore: string;
let revocationsBefore: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tlsmcp-badcli-'));
  state = join(root, 'state');
  const ca = createCertificateAuthority({ stateDir: state, policy: TEST_POLICY });
  await ca.init();
  await ca.issue({ type: 'client', service: 'api', cn: 'keep-me' });
  const gone = await ca.issue({ type: 'client', service: 'api', cn: 'old' });
  await ca.revoke(gone.record.id);
  inventoryBefore = readFileSync(statePaths(state).inventory, 'utf8');
  revocationsBefore = readFileSync(statePaths(state).revocations, 'utf8');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function refused(args: string[], exit: number, message: RegExp): Promise<string> {
  const result = await runCli(['--state', state, ...args]);
  expect(result.code).toBe(exit);
  expect(result.stderr).toMatch(message);
  expect(result.stdout).toBe('');
  expect(readFileSync(statePaths(state).inventory, 'utf8')).toBe(inventoryBefore);
  expect(readFileSync(statePaths(state).revocations, 'utf8')).toBe(revocationsBefore);
  return result.stderr;
}

const issue = (...extra: string[]) => ['cert', 'issue', '--type', 'client', '--service', 'api', ...extra];

describe('CLI bad flags and values', () => {
  it('an unknown flag: exit 2 naming it, nothing lost', async () => {
    await refused(issue('--bogus'), 2, /unknown option '--bogus'/);
  });

  it('--type outside its choices: exit 2 listing the choices', async () => {
    await refused(['cert', 'issue', '--type', 'admin', '--service', 'api'], 2, /argument 'admin' is invalid\. Allowed choices are client, server/);
  });

  it('--ttl that is not a duration: exit 2 with the duration format', async () => {
    await refused(issue('--ttl', '5x'), 2, /--ttl 5x: not a duration; write a number followed by ms, s, m, h or d/);
  });

  it('--ttl beyond the policy: ERR_CERT_TTL naming client_cert.max_ttl, exit 1', async () => {
    await refused(issue('--ttl', '99999d'), 1, /ERR_CERT_TTL: --ttl 99999d exceeds client_cert\.max_ttl/);
  });

  it('--ip that is not an address: exit 2', async () => {
    await refused(issue('--ip', '1.2.3'), 2, /--ip 1\.2\.3: not an IPv4 or IPv6 address/);
  });

  it('--csr naming a missing file: exit 2 ERR_ARGUMENT_INVALID with the errno', async () => {
    await refused(issue('--csr', join(root, 'nope.csr')), 2, /ERR_ARGUMENT_INVALID: --csr .*nope\.csr: cannot read it \(ENOENT\)/);
  });

  it('--csr holding garbage: ERR_CSR_INVALID, exit 1', async () => {
    const file = join(root, 'garbage.csr');
    writeFileSync(file, 'not a request at all');
    await refused(issue('--csr', file), 1, /ERR_CSR_INVALID: the CSR is not a PEM PKCS#10 certificate request/);
  });

  it('--p12 with --csr: exit 2, they conflict', async () => {
    await refused(issue('--p12', '--csr', 'x.csr'), 2, /'--p12' cannot be used with option '--csr/);
  });

  it('--cn with an embedded newline: exit 2 naming U+000A, the message on one line', async () => {
    const stderr = await refused(issue('--cn', 'web\nCN=admin'), 2, /ERR_BAD_ARGUMENT: --cn: contains U\+000A \(line feed\) at position 3/);
    expect(stderr).toContain('"web\\u{A}CN=admin"');
  });

  it('--cn with a line separator U+2028: exit 2', async () => {
    await refused(issue('--cn', 'web\u2028admin'), 2, /--cn: contains U\+2028 \(line separator\)/);
  });

  it('--org with an escape character (terminal control): exit 2', async () => {
    await refused(issue('--org', 'acme\u001b[31m'), 2, /--org: contains U\+001B \(escape\)/);
  });

  it('--cn of 70 characters: exit 2, more than the 64 X.509 allows', async () => {
    await refused(issue('--cn', 'a'.repeat(70)), 2, /--cn: 70 characters, more than the 64 allowed/);
  });

  it('--service with path traversal: exit 2, not a service name', async () => {
    await refused(['cert', 'issue', '--type', 'client', '--service', '../../etc'], 2, /--service "\.\.\/\.\.\/etc": must be 1-63 letters/);
  });

  it('--out naming a file, not a directory: exit 2 before anything is recorded', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await refused(issue('--out', file), 2, /--out .*a-file: is a file, not a directory/);
  });

  it('`cert revoke` of a traversal path: ERR_CERT_NOT_FOUND, exit 1, nothing revoked', async () => {
    await refused(['cert', 'revoke', '../../etc/passwd'], 1, /ERR_CERT_NOT_FOUND: no certificate with id or serial "\.\.\/\.\.\/etc\/passwd"/);
  });

  it('`cert revoke` with an unknown reason: exit 2 listing the reasons', async () => {
    const list = JSON.parse(inventoryBefore) as { certs: { id: string; revoked?: unknown }[] };
    const id = list.certs.find((c) => !c.revoked)!.id;
    await refused(['cert', 'revoke', id, '--reason', 'because'], 2, /because/);
  });
});
