/**
 * Bad input, certificate signing requests given to `issue` (the same path the
 * CLI's --csr and the MCP tool's csr take): garbage, wrong signature, control
 * characters in any subject attribute, huge ones, unsupported keys. Each case
 * names the property it proves: a clear error with a stable code, and nothing
 * recorded or written.
 */
import { readdirSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../src/ca/x509.js';
import { statePaths } from '../../src/state/state-dir.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { alterCsr, makeCsr } from './helpers/csr.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
afterAll(() => pki.cleanup());

/** Issues with the CSR and expects a refusal with `code`; checks nothing was recorded or written. */
async function refused(csrPem: string, code: string, message: RegExp): Promise<void> {
  const before = (await pki.ca.list()).length;
  const certsDir = statePaths(pki.stateDir).certsDir;
  const dirsBefore = existsSync(certsDir) ? readdirSync(certsDir).length : 0;
  const err = await pki.ca.issue({ type: 'client', service: 'api', csrPem }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code });
  expect((err as Error).message).toMatch(message);
  expect((await pki.ca.list()).length).toBe(before);
  expect(existsSync(certsDir) ? readdirSync(certsDir).length : 0).toBe(dirsBefore);
}

describe('CSRs', () => {
  it('garbage text is ERR_CSR_INVALID, nothing recorded', async () => {
    await refused('hello, I am a certificate request', 'ERR_CSR_INVALID', /not a PEM PKCS#10 certificate request/);
  });

  it('PEM armour around random bytes is ERR_CSR_INVALID, nothing recorded', async () => {
    await refused(`-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from('0123456789abcdef'.repeat(8)).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`, 'ERR_CSR_INVALID', /not a PEM PKCS#10/);
  });

  it('a certificate passed as a CSR is ERR_CSR_INVALID', async () => {
    await refused(pki.caPem, 'ERR_CSR_INVALID', /not a PEM PKCS#10/);
  });

  it('a CSR altered after signing (wrong signature) is ERR_CSR_INVALID: the requester must hold the key', async () => {
    const good = await makeCsr({ name: [{ CN: ['victim'] }] });
    await refused(alterCsr(good, 'victim', 'attack'), 'ERR_CSR_INVALID', /signature does not verify|signature cannot be checked/);
  });

  it('a CN with a newline ("web\\nCN=admin") is ERR_BAD_ARGUMENT naming U+000A, nothing issued', async () => {
    await refused(await makeCsr({ name: [{ CN: ['web\nCN=admin'] }] }), 'ERR_BAD_ARGUMENT', /--csr: subject attribute CN contains U\+000A \(line feed\) at position 3/);
  });

  it('an O with a line separator U+2028 is refused naming the attribute', async () => {
    await refused(await makeCsr({ name: [{ CN: ['web'] }, { O: ['acme\u2028corp'] }] }), 'ERR_BAD_ARGUMENT', /subject attribute O contains U\+2028 \(line separator\)/);
  });

  it('a CN with NUL is refused', async () => {
    await refused(await makeCsr({ name: [{ CN: ['admin\u0000.evil'] }] }), 'ERR_BAD_ARGUMENT', /U\+0000 \(NUL\)/);
  });

  it('a CN with a bidirectional override (U+202E) is refused, so it cannot read differently from what it holds', async () => {
    await refused(await makeCsr({ name: [{ CN: ['admin\u202Etxt.exe'] }] }), 'ERR_BAD_ARGUMENT', /U\+202E \(bidirectional control\)/);
  });

  it('a CN longer than the 64 characters X.509 allows is refused', async () => {
    await refused(await makeCsr({ name: [{ CN: ['a'.repeat(65)] }] }), 'ERR_ARGUMENT_INVALID', /65 characters, more than the 64 allowed/);
  });

  it('a DNS SAN with a control character is refused (and shown escaped, on one line)', async () => {
    const err = await pki.ca.issue({ type: 'client', service: 'api', csrPem: await makeCsr({ dns: ['ok.example', 'bad\r\n.example'] }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ARGUMENT_INVALID' });
    expect((err as Error).message).toContain('--dns bad\\u{D}\\u{A}.example: not a valid DNS name');
    expect((err as Error).message).not.toMatch(/[\r\n]/);
  });

  it('a CSR asking for 1000 SANs is refused (more than 100), nothing recorded', async () => {
    await refused(await makeCsr({ dns: Array.from({ length: 1000 }, (_, i) => `h${i}.example`) }), 'ERR_ARGUMENT_INVALID', /1000 subject alternative names, more than the 100 allowed/);
  });

  it('a huge CSR (a 100 KB extension) is refused by size before parsing', async () => {
    const huge = new x509.Extension('1.3.6.1.4.1.55555.1', false, new Uint8Array(100 * 1024).fill(0x41));
    await refused(await makeCsr({ extensions: [huge] }), 'ERR_CSR_INVALID', /bytes, more than the 65536 a certificate request can need/);
  });

  it('a CSR with an unsupported key (Ed25519) is ERR_CSR_INVALID naming the key kinds that work', async () => {
    await refused(await makeCsr({ key: 'ed25519' }), 'ERR_CSR_INVALID', /key is not supported/);
  });

  it('a good CSR: the inventory records the CN read back from the issued certificate, and no key is written', async () => {
    const issued = await pki.ca.issue({ type: 'client', service: 'api', csrPem: await makeCsr({ name: [{ CN: [{ utf8String: '#a,b+c=d"\\<x>;' }] }, { O: ['ignored-org'] }] }) });
    const cert = new x509.X509Certificate(issued.certPem);
    expect(cert.subjectName.getField('CN')).toEqual(['#a,b+c=d"\\<x>;']);
    expect(issued.record.cn).toBe('#a,b+c=d"\\<x>;');
    expect(issued.record.files.key).toBeUndefined();
    expect(issued.keyPem).toBeUndefined();
  });
});
