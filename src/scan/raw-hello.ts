/**
 * A hand-built TLS <= 1.2 ClientHello over a plain socket, for what Node's tls
 * cannot show: which suite the server picks from a list this OpenSSL cannot
 * offer (RC4, 3DES, DES, EXPORT), whether SSL 3 is accepted, whether the server
 * sends a CertificateRequest (client certificate requested, even if optional),
 * the certificate chain exactly as sent, and secure renegotiation support.
 * Only the server's first flight is read (plaintext up to ServerHelloDone); no
 * keys are exchanged and the connection is dropped.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export const RAW_VERSIONS = { SSLv3: 0x0300, TLSv1: 0x0301, 'TLSv1.1': 0x0302, 'TLSv1.2': 0x0303 } as const;
export type RawVersion = keyof typeof RAW_VERSIONS;

/** IANA codes and names of the suites only a raw hello can offer, by family. */
export const RAW_WEAK_SUITES: Record<'RC4' | '3DES' | 'DES' | 'EXPORT', [number, string][]> = {
  RC4: [
    [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
    [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'],
    [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA'],
    [0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA'],
  ],
  '3DES': [
    [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
    [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA'],
    [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'],
    [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA'],
  ],
  DES: [
    [0x0009, 'TLS_RSA_WITH_DES_CBC_SHA'],
    [0x0015, 'TLS_DHE_RSA_WITH_DES_CBC_SHA'],
  ],
  EXPORT: [
    [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5'],
    [0x0006, 'TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5'],
    [0x0008, 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA'],
    [0x0014, 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA'],
  ],
};

/**
 * Common TLS <= 1.2 suites by IANA code: offered together to get any answer,
 * and one at a time to enumerate a server whose Node handshakes cannot finish
 * (it demands a client certificate we do not have).
 */
export const RAW_COMMON_SUITE_NAMES: [number, string][] = [
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
];

export const RAW_COMMON_SUITES = [...RAW_COMMON_SUITE_NAMES.map(([code]) => code), 0x000a, 0x0005];

export interface RawHelloOptions {
  address: string;
  port: number;
  servername: string | undefined;
  version: RawVersion;
  suites: number[];
  timeoutMs: number;
  localAddress?: string | undefined;
}

export interface RawHelloResult {
  connected: boolean;
  timedOut: boolean;
  /** Socket error code, or "not-tls" when the reply is not a TLS record. */
  error: string | undefined;
  /** TLS alert description number, when the server answered with an alert. */
  alert: number | undefined;
  serverVersion: number | undefined;
  suite: number | undefined;
  secureRenegotiation: boolean | undefined;
  /** DER certificates exactly as sent, leaf first (empty if not seen). */
  certificates: Buffer[];
  certificateRequested: boolean;
  /** ServerHelloDone seen: the whole first flight was read. */
  complete: boolean;
}

function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}

function withLen16(body: Buffer): Buffer {
  return Buffer.concat([u16(body.length), body]);
}

function extension(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), withLen16(body)]);
}

/** Builds the ClientHello record. SSL 3 gets no extensions, as SSL 3 servers expect. */
export function buildClientHello(version: number, suites: number[], servername: string | undefined): Buffer {
  const exts: Buffer[] = [];
  if (version > 0x0300) {
    if (servername && net.isIP(servername) === 0) {
      const name = Buffer.from(servername, 'ascii');
      const entry = Buffer.concat([Buffer.from([0]), withLen16(name)]);
      exts.push(extension(0x0000, withLen16(entry)));
    }
    const groups = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101];
    exts.push(extension(0x000a, withLen16(Buffer.concat(groups.map(u16)))));
    exts.push(extension(0x000b, Buffer.from([1, 0])));
    const sigalgs = [0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0201, 0x0203];
    exts.push(extension(0x000d, withLen16(Buffer.concat(sigalgs.map(u16)))));
    exts.push(extension(0xff01, Buffer.from([0])));
  }
  const body = Buffer.concat([
    u16(version),
    randomBytes(32),
    Buffer.from([0]),
    withLen16(Buffer.concat(suites.map(u16))),
    Buffer.from([1, 0]),
    ...(exts.length > 0 ? [withLen16(Buffer.concat(exts))] : []),
  ]);
  const hs = Buffer.concat([Buffer.from([1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, version === 0x0300 ? 0x00 : 0x01]), u16(hs.length), hs]);
}

/** Parses the server's first flight from the bytes read so far; pure, for tests. */
export function parseServerFlight(data: Buffer, result: RawHelloResult): 'more' | 'done' {
  const first = data[0];
  if (first !== undefined && (first < 20 || first > 24 || (data.length > 1 && data[1] !== 3))) {
    result.error = 'not-tls';
    return 'done';
  }
  let off = 0;
  const hs: Buffer[] = [];
  while (off + 5 <= data.length) {
    const type = data[off] as number;
    const len = data.readUInt16BE(off + 3);
    if (type < 20 || type > 24 || data[off + 1] !== 3) {
      result.error = 'not-tls';
      return 'done';
    }
    if (off + 5 + len > data.length) break;
    const frag = data.subarray(off + 5, off + 5 + len);
    if (type === 21 && frag.length >= 2) {
      result.alert = frag[1];
      return 'done';
    }
    if (type === 22) hs.push(frag);
    off += 5 + len;
  }
  const msgs = Buffer.concat(hs);
  let p = 0;
  while (p + 4 <= msgs.length) {
    const mtype = msgs[p] as number;
    const mlen = msgs.readUIntBE(p + 1, 3);
    if (p + 4 + mlen > msgs.length) return 'more';
    const m = msgs.subarray(p + 4, p + 4 + mlen);
    if (mtype === 2 && m.length >= 38) {
      result.serverVersion = m.readUInt16BE(0);
      const sidLen = m[34] as number;
      const q = 35 + sidLen;
      result.suite = m.readUInt16BE(q);
      result.secureRenegotiation = false;
      let e = q + 3;
      if (e + 2 <= m.length) {
        const end = e + 2 + m.readUInt16BE(e);
        e += 2;
        while (e + 4 <= Math.min(end, m.length)) {
          const et = m.readUInt16BE(e);
          if (et === 0xff01) result.secureRenegotiation = true;
          e += 4 + m.readUInt16BE(e + 2);
        }
      }
    } else if (mtype === 11 && m.length >= 3) {
      const total = m.readUIntBE(0, 3);
      let c = 3;
      while (c + 3 <= Math.min(3 + total, m.length)) {
        const clen = m.readUIntBE(c, 3);
        result.certificates.push(Buffer.from(m.subarray(c + 3, c + 3 + clen)));
        c += 3 + clen;
      }
    } else if (mtype === 13) {
      result.certificateRequested = true;
    } else if (mtype === 14) {
      result.complete = true;
      return 'done';
    }
    p += 4 + mlen;
  }
  return 'more';
}

/** Sends one raw ClientHello and reads the first flight; never throws, bounded by timeoutMs. */
export function rawHello(options: RawHelloOptions): Promise<RawHelloResult> {
  return new Promise((resolve) => {
    const result: RawHelloResult = {
      connected: false,
      timedOut: false,
      error: undefined,
      alert: undefined,
      serverVersion: undefined,
      suite: undefined,
      secureRenegotiation: undefined,
      certificates: [],
      certificateRequested: false,
      complete: false,
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const socket = net.connect({ host: options.address, port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      finish();
    }, options.timeoutMs);
    socket.once('connect', () => {
      result.connected = true;
      socket.write(buildClientHello(RAW_VERSIONS[options.version], options.suites, options.servername));
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      const parsed: RawHelloResult = { ...result, certificates: [], certificateRequested: false };
      const state = parseServerFlight(Buffer.concat(chunks), parsed);
      if (state === 'done' || size > 512 * 1024) {
        Object.assign(result, parsed);
        finish();
      } else {
        Object.assign(result, parsed);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      result.error = err.code ?? 'ERR_UNKNOWN';
      finish();
    });
    socket.on('close', finish);
  });
}
