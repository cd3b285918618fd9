/**
 * Which protocol versions the server accepts. TLS 1.0-1.3 are tried with Node's
 * tls pinned to one version (SECLEVEL=0 on our side, or old versions look
 * absent when they are not). SSL 3 and the versions a certless handshake cannot
 * finish (a TLS <= 1.2 server that demands a client certificate) are settled by
 * a raw ClientHello: the ServerHello alone says which version the server took.
 */
import type { HandshakeResult, TlsVersion } from './handshake.js';
import { isNetworkError } from './handshake.js';
import type { ProbeContext } from './probe-context.js';
import { RAW_COMMON_SUITES, RAW_VERSIONS, RAW_WEAK_SUITES, type RawHelloResult, type RawVersion } from './raw-hello.js';
import type { ProtocolResult } from './report-schema.js';

export const TLS_VERSIONS: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface ProtocolProbe {
  results: ProtocolResult[];
  /** The successful Node handshake per version. */
  handshakes: Map<TlsVersion, HandshakeResult>;
  /** The raw first flight per TLS <= 1.2 version (when one was read). */
  raw: Map<RawVersion, RawHelloResult>;
}

const ALL_SUITES = [...RAW_COMMON_SUITES, ...Object.values(RAW_WEAK_SUITES).flat().map(([code]) => code)];

function rawAccepted(raw: RawHelloResult | undefined, version: RawVersion): boolean {
  return raw !== undefined && raw.serverVersion === RAW_VERSIONS[version] && raw.suite !== undefined;
}

function describeFailure(h: HandshakeResult): string {
  if (h.timedOut) return h.connected ? 'no TLS answer before the probe timeout' : 'no TCP answer before the probe timeout';
  return h.errorCode ?? 'handshake failed';
}

export async function probeProtocols(ctx: ProbeContext): Promise<ProtocolProbe> {
  const handshakes = new Map<TlsVersion, HandshakeResult>();
  const raw = new Map<RawVersion, RawHelloResult>();
  const rawVersions: RawVersion[] = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2'];
  const [nodeResults, rawResults] = await Promise.all([
    Promise.all(
      TLS_VERSIONS.map((v) =>
        ctx.handshake({ minVersion: v, maxVersion: v, ciphers: v === 'TLSv1.3' ? 'DEFAULT' : 'ALL:COMPLEMENTOFALL' }),
      ),
    ),
    Promise.all(rawVersions.map((v) => ctx.rawHello(v, ALL_SUITES))),
  ]);
  rawVersions.forEach((v, i) => {
    const r = rawResults[i];
    if (r) raw.set(v, r);
  });

  const results: ProtocolResult[] = [];
  const sslv3 = raw.get('SSLv3');
  results.push(
    sslv3 === undefined || sslv3.timedOut
      ? { name: 'SSLv3', status: 'error', note: 'no answer to an SSL 3 ClientHello before the timeout' }
      : { name: 'SSLv3', status: rawAccepted(sslv3, 'SSLv3') ? 'offered' : 'not_offered', note: 'tested with a hand-built ClientHello' },
  );
  TLS_VERSIONS.forEach((v, i) => {
    const h = nodeResults[i];
    if (h === undefined) {
      results.push({ name: v, status: 'error', note: 'not tried: the scan deadline passed' });
      return;
    }
    if (h.secure) {
      handshakes.set(v, h);
      results.push({ name: v, status: 'offered' });
      return;
    }
    if (v !== 'TLSv1.3' && rawAccepted(raw.get(v), v)) {
      results.push({
        name: v,
        status: 'offered',
        note: 'the server answered a raw ClientHello with this version, but a handshake without a client certificate fails',
      });
      return;
    }
    if (h.timedOut || (!h.connected && isNetworkError(h.errorCode))) {
      results.push({ name: v, status: 'error', note: describeFailure(h) });
      return;
    }
    results.push({ name: v, status: 'not_offered', note: describeFailure(h) });
  });
  return { results, handshakes, raw };
}
