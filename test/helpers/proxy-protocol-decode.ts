/**
 * A PROXY protocol v2 reader for tests (written from the spec, independent of
 * the encoder): the receiving backend's side.
 */
export interface DecodedProxyHeader {
  command: number;
  family: number;
  source?: { address: string; port: number };
  destination?: { address: string; port: number };
  tlvs: { type: number; value: Buffer }[];
  /** Sub-TLVs of PP2_TYPE_SSL, with its client flags and verify result. */
  ssl?: { client: number; verify: number; subs: { type: number; value: Buffer }[] };
  /** Bytes of the header, to find where the payload starts. */
  length: number;
}

const SIGNATURE = '0d0a0d0a000d0a515549540a';

function readTlvs(buf: Buffer): { type: number; value: Buffer }[] {
  const out: { type: number; value: Buffer }[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = buf.readUInt16BE(at + 1);
    out.push({ type: buf[at]!, value: buf.subarray(at + 3, at + 3 + len) });
    at += 3 + len;
  }
  return out;
}

function ip6(buf: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** undefined until the whole header is in `buf`. */
export function decodeProxyHeaderV2(buf: Buffer): DecodedProxyHeader | undefined {
  if (buf.length < 16) return undefined;
  if (buf.subarray(0, 12).toString('hex') !== SIGNATURE) throw new Error('not a PROXY v2 header');
  if (buf[12]! >> 4 !== 2) throw new Error('not version 2');
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return undefined;
  const family = buf[13]!;
  const body = buf.subarray(16, length);
  let rest = body;
  const header: DecodedProxyHeader = { command: buf[12]! & 0x0f, family, tlvs: [], length };
  if (family === 0x11) {
    header.source = { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) };
    header.destination = { address: [...body.subarray(4, 8)].join('.'), port: body.readUInt16BE(10) };
    rest = body.subarray(12);
  } else if (family === 0x21) {
    header.source = { address: ip6(body.subarray(0, 16)), port: body.readUInt16BE(32) };
    header.destination = { address: ip6(body.subarray(16, 32)), port: body.readUInt16BE(34) };
    rest = body.subarray(36);
  }
  header.tlvs = readTlvs(rest);
  const ssl = header.tlvs.find((t) => t.type === 0x20);
  if (ssl) header.ssl = { client: ssl.value[0]!, verify: ssl.value.readUInt32BE(1), subs: readTlvs(ssl.value.subarray(5)) };
  return header;
}
