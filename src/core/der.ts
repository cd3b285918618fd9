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

function readTlv(buf: Uint8Array, at: number, limit: number): Tlv {
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
function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '550403': 'CN',
  '550406': 'C',
  '550407': 'L',
  '550408': 'ST',
  '55040a': 'O',
  '55040b': 'OU',
  '550405': 'serialNumber',
};

function hex(buf: Uint8Array, tlv: Tlv): string {
  return Buffer.from(buf.buffer, buf.byteOffset + tlv.start, tlv.end - tlv.start).toString('hex');
}

/** A directory string in any of the ASN.1 string types a certificate may use. */
function text(buf: Uint8Array, tlv: Tlv): string {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset + tlv.start, tlv.end - tlv.start);
  switch (tlv.tag) {
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    case 0x14: // T61String: treated as Latin-1, as OpenSSL prints it
      return bytes.toString('latin1');
    default: // UTF8String, PrintableString, IA5String, VisibleString, NumericString
      return bytes.toString('utf8');
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

function readName(buf: Uint8Array, name: Tlv, into: Record<string, string[]>): void {
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const [oid, value] = children(buf, atv);
      if (!oid || !value) continue;
      const key = ATTRIBUTE_NAMES[hex(buf, oid)];
      if (key) (into[key] ??= []).push(text(buf, value));
    }
  }
}

const SAN_OID = '551d11';

function readSans(buf: Uint8Array, extensions: Tlv, out: CertificateNames): void {
  for (const ext of children(buf, extensions)) {
    const parts = children(buf, ext);
    const oid = parts[0];
    if (!oid || hex(buf, oid) !== SAN_OID) continue;
    const octets = parts[parts.length - 1]!;
    const names = readTlv(buf, octets.start, octets.end);
    for (const gn of children(buf, names)) {
      const value = Buffer.from(buf.buffer, buf.byteOffset + gn.start, gn.end - gn.start);
      switch (gn.tag) {
        case 0x81:
          out.email.push(value.toString('utf8'));
          break;
        case 0x82:
          out.dns.push(value.toString('utf8'));
          break;
        case 0x86:
          out.uri.push(value.toString('utf8'));
          break;
        case 0x87:
          out.ip.push(formatIp(value));
          break;
      }
    }
  }
}

/** Parses the subject and SANs of a DER certificate. Throws RangeError on malformed DER. */
export function readCertificateNames(der: Uint8Array): CertificateNames {
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
