/**
 * Reads the names out of a DER certificate: the subject's attributes and the
 * subjectAltName entries, from the ASN.1 structure itself. Node only offers
 * these as display strings (`subject`, `subjectAltName`), which are lossy (an
 * escaped comma, a quoted SAN, a newline in a CN); a full ASN.1 library costs
 * about a millisecond per certificate, too much for every handshake. This is a
 * small walker over the few fields we need: a few microseconds, no allocation
 * beyond the strings returned.
 */

export interface CertificateNames {
  /** Subject attributes by short name (CN, O, OU, ...), in certificate order. */
  subject: Record<string, string[]>;
  dns: string[];
  uri: string[];
  ip: string[];
  email: string[];
}

interface Tlv {
  tag: number;
  /** Start of the value. */
  start: number;
  /** End of the value (exclusive). */
  end: number;
}

function readTlv(buf: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new RangeError('DER: truncated');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new RangeError('DER: bad length');
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + buf[start + i]!;
    start += bytes;
  }
  const end = start + len;
  if (end > limit) throw new RangeError('DER: truncated');
  return { tag, start, end };
}

/** The children of a constructed value. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** id-at-* attribute types (2.5.4.x, DER 55 04 x) by their last byte. */
const ATTRIBUTE_NAMES: Record<number, string> = { 3: 'CN', 5: 'serialNumber', 6: 'C', 7: 'L', 8: 'ST', 10: 'O', 11: 'OU' };

/** Whether an OID value is 2.5.x.`last` (DER 55 x last). */
function isOid25(buf: Buffer, oid: Tlv, arc: number): number | undefined {
  if (oid.tag !== 0x06 || oid.end - oid.start !== 3 || buf[oid.start] !== 0x55 || buf[oid.start + 1] !== arc) return undefined;
  return buf[oid.start + 2];
}

/** A directory string in any of the ASN.1 string types a certificate may use. */
function text(buf: Buffer, tlv: Tlv): string {
  switch (tlv.tag) {
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(buf.subarray(tlv.start, tlv.end)).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = tlv.start; i + 3 < tlv.end; i += 4) s += String.fromCodePoint(buf.readUInt32BE(i));
      return s;
    }
    case 0x14: // T61String: treated as Latin-1, as OpenSSL prints it
      return buf.toString('latin1', tlv.start, tlv.end);
    default: // UTF8String, PrintableString, IA5String, VisibleString, NumericString
      return buf.toString('utf8', tlv.start, tlv.end);
  }
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return Buffer.from(bytes).toString('hex');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i]! * 256 + bytes[i + 1]!);
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const h = groups.map((g) => g.toString(16));
  if (best < 0) return h.join(':');
  return `${h.slice(0, best).join(':')}::${h.slice(best + bestLen).join(':')}`;
}

function readName(buf: Buffer, name: Tlv, into: Record<string, string[]>): void {
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const oid = readTlv(buf, atv.start, atv.end);
      if (oid.end >= atv.end) continue;
      const last = isOid25(buf, oid, 0x04);
      const key = last === undefined ? undefined : ATTRIBUTE_NAMES[last];
      if (key) (into[key] ??= []).push(text(buf, readTlv(buf, oid.end, atv.end)));
    }
  }
}

/** subjectAltName: 2.5.29.17 (DER 55 1d 11). */
function readSans(buf: Buffer, extensions: Tlv, out: CertificateNames): void {
  for (const ext of children(buf, extensions)) {
    const parts = children(buf, ext);
    const oid = parts[0];
    if (!oid || isOid25(buf, oid, 0x1d) !== 0x11) continue;
    const octets = parts[parts.length - 1]!;
    const names = readTlv(buf, octets.start, octets.end);
    for (const gn of children(buf, names)) {
      switch (gn.tag) {
        case 0x81:
          out.email.push(buf.toString('utf8', gn.start, gn.end));
          break;
        case 0x82:
          out.dns.push(buf.toString('utf8', gn.start, gn.end));
          break;
        case 0x86:
          out.uri.push(buf.toString('utf8', gn.start, gn.end));
          break;
        case 0x87:
          out.ip.push(formatIp(buf.subarray(gn.start, gn.end)));
          break;
      }
    }
  }
}

/** Parses the subject and SANs of a DER certificate. Throws RangeError on malformed DER. */
export function readCertificateNames(input: Uint8Array): CertificateNames {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const out: CertificateNames = { subject: {}, dns: [], uri: [], ip: [], email: [] };
  const cert = readTlv(der, 0, der.length);
  const tbs = readTlv(der, cert.start, cert.end);
  const fields = children(der, tbs);
  // version [0] is optional; after it: serial, signature, issuer, validity, subject, spki, then [1] [2] [3].
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject) readName(der, subject, out.subject);
  const extensions = fields.find((f) => f.tag === 0xa3);
  if (extensions) {
    const seq = readTlv(der, extensions.start, extensions.end);
    readSans(der, seq, out);
  }
  return out;
}
