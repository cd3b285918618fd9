import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeSubjectText, findUnsafeChar, unescapeSubjectText } from '../../../src/ca/subject.js';
import { x509 } from '../../../src/ca/x509.js';
import { createAuditLog } from '../../../src/state/audit-log.js';
import { createCertificateAuthority } from '../../../src/ca/index.js';
import { statePaths } from '../../../src/state/state-dir.js';
import { readFileSync } from 'node:fs';
import { createTestPki, TEST_POLICY, type TestPki } from '../../helpers/ca-fixture.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
afterAll(() => pki.cleanup());

describe('certificate subjects (issue 9.9)', () => {
  it('refuses a CN with a newline at issue time (the old bug: "web\\nCN=admin" issued an empty CN while the inventory said otherwise)', async () => {
    const err = await pki.ca.issue({ type: 'client', service: 'api', cn: 'web\nCN=admin' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: expect.stringMatching(/^--cn: contains U\+000A \(line feed\) at position 3/) });
    expect(await pki.ca.list()).toEqual([]);
  });

  it('refuses U+2028, U+2029, NUL, DEL, C1 controls and bidi overrides in CN, O, OU and the service name', async () => {
    for (const bad of ['web\u2028x', 'web\u2029x', 'a\u0000b', 'a\u007fb', 'a\u0085b', 'a\u202Eb', 'a\u2066b', '\tweb']) {
      for (const field of ['cn', 'o', 'ou', 'service'] as const) {
        const request = { type: 'client' as const, service: 'api', [field]: bad };
        await expect(pki.ca.issue(request)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT' });
      }
    }
    expect(await pki.ca.list()).toEqual([]);
  });

  it('regression: keeps RFC 4514 specials, a leading "#" and backslashes exactly (plain JSON names dropped the backslash and hex-decoded "#…"), in the certificate and in the inventory read back from it', async () => {
    for (const cn of ['a\\b', '#4142', 'a,b+c=d"<x>;', ' lead', 'trail ', 'ünïcødé ✓']) {
      const issued = await pki.ca.issue({ type: 'client', service: 'api', cn, o: `${cn}-o`, ou: `${cn}-ou` });
      const cert = new x509.X509Certificate(issued.certPem);
      expect(cert.subjectName.getField('CN')).toEqual([cn]);
      expect(cert.subjectName.getField('O')).toEqual([`${cn}-o`]);
      expect(issued.record).toMatchObject({ cn, o: `${cn}-o`, ou: `${cn}-ou` });
      expect((await pki.ca.get(issued.record.id)).cn).toBe(cn);
    }
  });

  it('records validity, serial and fingerprint as the certificate carries them', async () => {
    const issued = await pki.ca.issue({ type: 'client', service: 'api', cn: 'dates' });
    const cert = new x509.X509Certificate(issued.certPem);
    expect(issued.record.not_before).toBe(cert.notBefore.toISOString());
    expect(issued.record.not_after).toBe(cert.notAfter.toISOString());
    expect(issued.record.serial).toBe(cert.serialNumber.toLowerCase().replace(/^(00)+/, ''));
  });

  it('escapes subject text for logs losslessly: one line, backslash doubled, and unescape gives back the exact string', () => {
    for (const s of ['web\nCN=admin', 'web0A', 'web\\0A', 'a\u2028b', 'nul\u0000', 'plain', 'ü\u202E']) {
      const shown = escapeSubjectText(s);
      expect(findUnsafeChar(shown)).toBeUndefined();
      expect(unescapeSubjectText(shown)).toBe(s);
    }
    expect(escapeSubjectText('web\n')).not.toBe(escapeSubjectText('web0A'));
    expect(escapeSubjectText('web\n')).toBe('web\\u{A}');
  });

  it('audit lines escape U+2028/2029 (JSON leaves them raw) and read back exactly', async () => {
    const path = statePaths(pki.stateDir).auditLog + '.sep';
    const audit = createAuditLog(path);
    audit.append({ time: 't', kind: 'connection', service: 'api', peer_cn: 'a\u2028b\u2029c\nd' });
    await audit.flush();
    const raw = readFileSync(path, 'utf8');
    expect(raw).not.toMatch(/[\u2028\u2029]/);
    expect(raw.trimEnd().split('\n')).toHaveLength(1);
    expect((await audit.read())[0]?.peer_cn).toBe('a\u2028b\u2029c\nd');
    await audit.close();
  });

  it('the audit event of an issue carries the CN read back from the certificate', async () => {
    const audit = createAuditLog(statePaths(pki.stateDir).auditLog);
    const ca = createCertificateAuthority({ stateDir: pki.stateDir, policy: TEST_POLICY, audit });
    const issued = await ca.issue({ type: 'client', service: 'api', cn: 'a\\b' });
    const events = await audit.read({ kind: 'cert' });
    expect(events[0]).toMatchObject({ id: issued.record.id, cn: 'a\\b' });
    await audit.close();
  });
});
