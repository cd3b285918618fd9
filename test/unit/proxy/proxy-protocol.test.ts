import { describe, expect, it } from 'vitest';
import { encodeProxyHeaderV2 } from '../../../src/proxy/proxy-protocol.js';
import { decodeProxyHeaderV2 } from '../../helpers/proxy-protocol-decode.js';

const tlvText = (h: ReturnType<typeof decodeProxyHeaderV2>, type: number) => h?.tlvs.find((t) => t.type === type)?.value.toString();

describe('PROXY protocol v2 header', () => {
  it('is byte-exact for IPv4 without TLVs', () => {
    const header = encodeProxyHeaderV2({ source: { address: '10.1.2.3', port: 40000 }, destination: { address: '127.0.0.1', port: 8443 } });
    expect(header.toString('hex')).toBe('0d0a0d0a000d0a515549540a' + '21' + '11' + '000c' + '0a010203' + '7f000001' + '9c40' + '20fb');
  });

  it('carries the TLS version, CN, SPIFFE ID and ALPN as TLVs', () => {
    const h = decodeProxyHeaderV2(
      encodeProxyHeaderV2({
        source: { address: '127.0.0.1', port: 5000 },
        destination: { address: '127.0.0.1', port: 8443 },
        tlsVersion: 'TLSv1.3',
        clientCert: true,
        cn: 'alice',
        spiffeId: 'spiffe://example.org/alice',
        alpn: 'h2',
      }),
    );
    expect(h).toMatchObject({ command: 1, family: 0x11, source: { address: '127.0.0.1', port: 5000 }, destination: { port: 8443 } });
    expect(h?.ssl?.client).toBe(0x03); // PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN
    expect(h?.ssl?.verify).toBe(0);
    expect(h?.ssl?.subs.map((s) => [s.type, s.value.toString()])).toEqual([
      [0x21, 'TLSv1.3'],
      [0x22, 'alice'],
    ]);
    expect(tlvText(h, 0x01)).toBe('h2');
    expect(tlvText(h, 0x05)).toBe('spiffe://example.org/alice');
    expect(tlvText(h, 0xe0)).toBe('spiffe://example.org/alice');
  });

  it('keeps a SPIFFE ID over 128 bytes out of PP2_TYPE_UNIQUE_ID but in 0xE0', () => {
    const long = `spiffe://example.org/${'x'.repeat(200)}`;
    const h = decodeProxyHeaderV2(encodeProxyHeaderV2({ source: { address: '127.0.0.1', port: 1 }, destination: { address: '127.0.0.1', port: 2 }, tlsVersion: 'TLSv1.3', spiffeId: long }));
    expect(tlvText(h, 0x05)).toBeUndefined();
    expect(tlvText(h, 0xe0)).toBe(long);
    expect(h?.ssl?.client).toBe(0x01);
  });

  it('uses TCP over IPv6 for IPv6 peers, IPv4 for IPv4-mapped ones', () => {
    const v6 = decodeProxyHeaderV2(encodeProxyHeaderV2({ source: { address: '2001:db8::1', port: 1 }, destination: { address: '::1', port: 2 } }));
    expect(v6).toMatchObject({ family: 0x21, source: { address: '2001:db8:0:0:0:0:0:1' }, destination: { address: '0:0:0:0:0:0:0:1' } });
    const mapped = decodeProxyHeaderV2(encodeProxyHeaderV2({ source: { address: '::ffff:192.0.2.7', port: 1 }, destination: { address: '::ffff:127.0.0.1', port: 2 } }));
    expect(mapped).toMatchObject({ family: 0x11, source: { address: '192.0.2.7' } });
    const mixed = decodeProxyHeaderV2(encodeProxyHeaderV2({ source: { address: '192.0.2.7', port: 1 }, destination: { address: '::1', port: 2 } }));
    expect(mixed).toMatchObject({ family: 0x21, source: { address: '0:0:0:0:0:ffff:c000:207' } });
  });

  it('says UNSPEC when an address is unknown', () => {
    const h = decodeProxyHeaderV2(encodeProxyHeaderV2({ source: { address: undefined, port: undefined }, destination: { address: '127.0.0.1', port: 2 } }));
    expect(h).toMatchObject({ command: 1, family: 0, length: 16, tlvs: [] });
  });
});
