import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, parseDistinguishedName, parseSubjectAltName, sanList } from '../../../src/proxy/identity.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

describe('parseSubjectAltName', () => {
  it('splits Node’s SAN text by kind', () => {
    expect(parseSubjectAltName('DNS:a.example, IP Address:127.0.0.1, URI:spiffe://x/y')).toEqual({ dns: ['a.example'], ip: ['127.0.0.1'], uri: ['spiffe://x/y'] });
  });

  it('keeps a JSON-quoted value with a comma whole', () => {
    expect(parseSubjectAltName('URI:"spiffe://x/a, b", DNS:c')).toEqual({ dns: ['c'], ip: [], uri: ['spiffe://x/a, b'] });
  });

  it('is empty for no SANs', () => {
    expect(parseSubjectAltName(undefined)).toEqual({ dns: [], ip: [], uri: [] });
  });
});

describe('parseDistinguishedName', () => {
  it('collects repeated attributes', () => {
    expect(parseDistinguishedName('CN=a\nOU=x\nOU=y')).toEqual({ CN: ['a'], OU: ['x', 'y'] });
  });
});

describe('identityOf', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki.cleanup());

  it('reads CN, O, OU, SANs and the serial as the CA stores it', async () => {
    const issued = await pki.client('alice', { o: 'acme', ou: 'eng', dns: ['alice.internal'], uri: ['spiffe://example.org/ns/prod/sa/alice'] });
    const identity = identityOf(new X509Certificate(issued.certPem));
    expect(identity).toMatchObject({ cn: 'alice', o: ['acme'], ou: ['eng'], dns: ['alice.internal'], uri: ['spiffe://example.org/ns/prod/sa/alice'], serial: issued.record.serial });
    expect(sanList(identity)).toEqual(['dns:alice.internal', 'uri:spiffe://example.org/ns/prod/sa/alice']);
  });
});
