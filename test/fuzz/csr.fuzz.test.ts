/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of CSR handling
 * and of subject values at issue time. Properties: any input either parses or
 * gives a TlsmcpError with a stable code, never another exception; whatever is
 * issued is recorded exactly as the certificate carries it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsr } from '../../src/ca/csr.js';
import { findUnsafeChar } from '../../src/ca/subject.js';
import { x509 } from '../../src/ca/x509.js';
import { TlsmcpError } from '../../src/errors.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { makeCsr } from '../bad-input/helpers/csr.js';

const SEED = 20261129;
let pki: TestPki;
let goodCsr: string;
let goodDer: Buffer;
beforeAll(async () => {
  pki = await createTestPki();
  goodCsr = await makeCsr({ name: [{ CN: ['fuzz'] }, { O: ['org'] }], dns: ['a.example', 'b.example'] });
  goodDer = Buffer.from(goodCsr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
});
afterAll(() => pki.cleanup());

const pem = (der: Uint8Array) => `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;

/** Resolves, or rejects with one of the codes a bad CSR may give. */
async function parsesOrCleanError(input: string): Promise<void> {
  try {
    await parseCsr(input);
  } catch (err) {
    if (!(err instanceof TlsmcpError)) throw new Error(`parseCsr threw a ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    expect(['ERR_CSR_INVALID', 'ERR_ARGUMENT_INVALID', 'ERR_BAD_ARGUMENT']).toContain(err.code);
  }
}

describe('fuzz: CSR parsing', () => {
  it('any text parses or gives ERR_CSR_INVALID / ERR_ARGUMENT_INVALID / ERR_BAD_ARGUMENT', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), parsesOrCleanError), { seed: SEED, numRuns: 300 });
  });

  it('PEM armour around any bytes parses or gives a clean error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (bytes) => parsesOrCleanError(pem(bytes))), { seed: SEED, numRuns: 300 });
  });

  it('a real CSR with random bytes changed, cut or extended parses or gives a clean error', async () => {
    const mutation = fc.oneof(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => {
        const der = Buffer.from(goodDer);
        for (const [at, value] of flips) der[at % der.length] = value;
        return der;
      }),
      fc.nat().map((cut) => goodDer.subarray(0, cut % goodDer.length)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => Buffer.concat([goodDer, tail])),
    );
    await fc.assert(fc.asyncProperty(mutation, (der) => parsesOrCleanError(pem(der))), { seed: SEED, numRuns: 400 });
  });

  it('CSRs with any subject attribute values: unsafe characters refused, anything accepted is issued with the CN the CSR carries', async () => {
    const value = fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 20 });
    const withControls = fc.oneof(value, fc.tuple(value, fc.constantFrom('\n', '\r', '\u0000', '\u2028', '\u2029', '\u202E', '\u007f', '\u0085'), value).map(([a, c, b]) => a + c + b));
    await fc.assert(
      fc.asyncProperty(withControls, withControls, async (cn, o) => {
        const csrPem = await makeCsr({ name: [{ CN: [{ utf8String: cn }] }, { O: [{ utf8String: o }] }] });
        try {
          const issued = await pki.ca.issue({ type: 'client', service: 'fuzz', csrPem });
          expect(findUnsafeChar(cn) ?? findUnsafeChar(o)).toBeUndefined();
          expect(new x509.X509Certificate(issued.certPem).subjectName.getField('CN')).toEqual([cn]);
          expect(issued.record.cn).toBe(cn);
        } catch (err) {
          if (!(err instanceof TlsmcpError)) throw err;
          expect(['ERR_ARGUMENT_INVALID', 'ERR_BAD_ARGUMENT']).toContain(err.code);
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe('fuzz: subject values at issue time', () => {
  it('any cn/o/ou either issues a certificate whose subject equals them exactly, or is ERR_ARGUMENT_INVALID / ERR_BAD_ARGUMENT', async () => {
    const csrPem = goodCsr; // a fixed key: no key generation per run
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('#41', 'a\\b', ' x', 'x ', '"', ',+=;<>'));
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), async (cn, o, ou) => {
        try {
          const issued = await pki.ca.issue({ type: 'client', service: 'fuzz', cn, o, ou, csrPem });
          const subject = new x509.X509Certificate(issued.certPem).subjectName;
          expect(subject.getField('CN')).toEqual([cn]);
          expect(subject.getField('O')).toEqual(o ? [o] : []);
          expect(subject.getField('OU')).toEqual(ou ? [ou] : []);
          expect(issued.record).toMatchObject({ cn, ...(o ? { o } : {}), ...(ou ? { ou } : {}) });
        } catch (err) {
          if (!(err instanceof TlsmcpError)) throw err;
          expect(['ERR_ARGUMENT_INVALID', 'ERR_BAD_ARGUMENT']).toContain(err.code);
        }
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});
