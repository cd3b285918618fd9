/**
 * The PROXY protocol v2 header (haproxy.org/download/2.6/doc/proxy-protocol.txt)
 * a TCP service sends its backend before the client's bytes: the client's
 * address and, as TLVs, what the TLS listener verified.
 *
 * TLVs written:
 * - PP2_TYPE_SSL (0x20): client flags PP2_CLIENT_SSL, plus PP2_CLIENT_CERT_CONN
 *   when a certificate was presented; verify 0 (tlsmcp admitted it); sub-TLVs
 *   PP2_SUBTYPE_SSL_VERSION (0x21, e.g. `TLSv1.3`) and PP2_SUBTYPE_SSL_CN (0x22).
 * - PP2_TYPE_ALPN (0x01): the negotiated ALPN protocol, when there was one.
 * - The verified SPIFFE ID (the client certificate's first `spiffe://` URI SAN)
 *   twice: in 0xE0 (PP2_TYPE_MIN_CUSTOM, tlsmcp's TLV, any length) and in
 *   PP2_TYPE_UNIQUE_ID (0x05) when it fits that TLV's 128 bytes, which
 *   HAProxy 2.6 can read (`fc_pp_unique_id`). PP2_TYPE_AUTHORITY is left for SNI.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const PP2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_UNIQUE_ID = 0x05;
const UNIQUE_ID_MAX = 128;
export const PP2_TYPE_SSL = 0x20;
export const PP2_SUBTYPE_SSL_VERSION = 0x21;
export const PP2_SUBTYPE_SSL_CN = 0x22;
export const PP2_CLIENT_SSL = 0x01;
export const PP2_CLIENT_CERT_CONN = 0x02;
/** tlsmcp's TLV for the verified SPIFFE ID (the custom range is 0xE0..0xEF). */
export const PP2_TYPE_TLSMCP_SPIFFE_ID = 0xe0;

export interface ProxyHeaderInput {
  source: { address: string | undefined; port: number | undefined };
  destination: { address: string | undefined; port: number | undefined };
  /** e.g. `TLSv1.3` (tls.TLSSocket#getProtocol). */
  tlsVersion?: string | undefined;
  /** Whether the client presented a certificate tlsmcp verified. */
  clientCert?: boolean | undefined;
  cn?: string | undefined;
  spiffeId?: string | undefined;
  alpn?: string | undefined;
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  // Expand `::` and an embedded IPv4 tail into eight 16-bit groups.
  let text = address.split('%')[0] ?? address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = ipv4Bytes(v4[1]);
    text = text.slice(0, -v4[1].length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Both addresses in one family (IPv4-mapped IPv6 counts as IPv4), or undefined. */
function addressBlock(source: ProxyHeaderInput['source'], destination: ProxyHeaderInput['destination']): { family: number; bytes: Buffer } | undefined {
  if (!source.address || !destination.address || source.port === undefined || destination.port === undefined) return undefined;
  const src = MAPPED.exec(source.address)?.[1] ?? source.address;
  const dst = MAPPED.exec(destination.address)?.[1] ?? destination.address;
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  if (isIPv4(src) && isIPv4(dst)) return { family: 0x11, bytes: Buffer.concat([ipv4Bytes(src), ipv4Bytes(dst), ports]) };
  const as6 = (a: string) => (isIPv4(a) ? `::ffff:${a}` : a);
  if ((isIPv6(src) || isIPv4(src)) && (isIPv6(dst) || isIPv4(dst))) {
    return { family: 0x21, bytes: Buffer.concat([ipv6Bytes(as6(src)), ipv6Bytes(as6(dst)), ports]) };
  }
  return undefined;
}

/** The whole header: signature, PROXY command, TCP over IPv4/IPv6 (UNSPEC when unknown), addresses, TLVs. */
export function encodeProxyHeaderV2(input: ProxyHeaderInput): Buffer {
  const addresses = addressBlock(input.source, input.destination);
  const tlvs: Buffer[] = [];
  if (input.alpn) tlvs.push(tlv(PP2_TYPE_ALPN, Buffer.from(input.alpn, 'latin1')));
  if (input.tlsVersion) {
    const sub: Buffer[] = [tlv(PP2_SUBTYPE_SSL_VERSION, Buffer.from(input.tlsVersion, 'latin1'))];
    if (input.cn !== undefined) sub.push(tlv(PP2_SUBTYPE_SSL_CN, Buffer.from(input.cn, 'utf8')));
    const head = Buffer.alloc(5);
    head.writeUInt8(PP2_CLIENT_SSL | (input.clientCert ? PP2_CLIENT_CERT_CONN : 0), 0);
    head.writeUInt32BE(0, 1); // verify: 0 = the certificate was verified (or none was presented)
    tlvs.push(tlv(PP2_TYPE_SSL, Buffer.concat([head, ...sub])));
  }
  if (input.spiffeId) {
    const id = Buffer.from(input.spiffeId, 'utf8');
    if (id.length <= UNIQUE_ID_MAX) tlvs.push(tlv(PP2_TYPE_UNIQUE_ID, id));
    tlvs.push(tlv(PP2_TYPE_TLSMCP_SPIFFE_ID, id));
  }
  const body = Buffer.concat([addresses?.bytes ?? Buffer.alloc(0), ...tlvs]);
  const head = Buffer.alloc(4);
  head.writeUInt8(0x21, 0); // version 2, command PROXY
  head.writeUInt8(addresses?.family ?? 0x00, 1);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([PP2_SIGNATURE, head, body]);
}
