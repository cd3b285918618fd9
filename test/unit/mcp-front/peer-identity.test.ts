import { describe, expect, it } from 'vitest';
import type { PeerCertificate } from 'node:tls';
import { ANONYMOUS, identityFromCertificate, parseSubjectAltName } from '../../../src/mcp-front/peer-identity.js';

describe('parseSubjectAltName', () => {
  it('splits DNS, URI, IP and email entries', () => {
    expect(parseSubjectAltName('DNS:a.example, URI:spiffe://corp/agent, IP Address:127.0.0.1, email:x@y.z')).toEqual({
      dns: ['a.example'],
      uri: ['spiffe://corp/agent'],
      ip: ['127.0.0.1'],
      email: ['x@y.z'],
    });
  });

  it('reads values Node quoted because they hold a comma', () => {
    expect(parseSubjectAltName('URI:"https://x/a,b", DNS:b').uri).toEqual(['https://x/a,b']);
  });

  it('returns empty lists for no SANs', () => {
    expect(parseSubjectAltName(undefined)).toEqual({ dns: [], uri: [], ip: [], email: [] });
  });
});

describe('identityFromCertificate', () => {
  it('is anonymous without a certificate', () => {
    expect(identityFromCertificate({} as PeerCertificate, false)).toBe(ANONYMOUS);
  });

  it('reads CN, O, OU (single or many), SANs and a normalized serial', () => {
    const cert = {
      subject: { CN: 'agent-1', O: 'Corp', OU: ['ops', 'admins'] },
      subjectaltname: 'DNS:agent-1.corp',
      serialNumber: '00AB12',
      fingerprint256: 'AA:BB',
      valid_to: 'Jan  1 00:00:00 2030 GMT',
    } as unknown as PeerCertificate;
    expect(identityFromCertificate(cert, true)).toMatchObject({
      authorized: true,
      cn: 'agent-1',
      o: ['Corp'],
      ou: ['ops', 'admins'],
      sans: { dns: ['agent-1.corp'] },
      serial: 'ab12',
      notAfter: '2030-01-01T00:00:00.000Z',
    });
  });
});
