/**
 * Which cipher suites the server accepts, per protocol version: one suite per
 * handshake (the three TLS 1.3 suites and everything this
 * OpenSSL can offer for TLS <= 1.2 through `ciphers`), then RC4/3DES/DES/EXPORT
 * through raw ClientHellos because this OpenSSL cannot offer them. The server's
 * preference shows when it picks the same suite from a list and its reverse;
 * its full order then comes from offering the list minus each pick in turn.
 */
import type { HandshakeResult, TlsVersion } from './handshake.js';
import type { ProbeContext } from './probe-context.js';
import { RAW_COMMON_SUITE_NAMES, RAW_WEAK_SUITES, type RawVersion } from './raw-hello.js';
import type { Suite } from './report-schema.js';
import { legacySuiteCandidates, suiteTraits, TLS13_SUITES } from './suite-info.js';

export interface CipherProbe {
  suites: Suite[];
  serverPreference: boolean | null;
  preferredOrder: Record<string, string[]>;
  notes: string[];
}

function ephemeralText(h: HandshakeResult): string | null {
  const e = h.ephemeral;
  if (!e || !e.type) return null;
  return `${e.name ?? e.type} ${e.size ?? ''}`.trim();
}

function toSuite(protocol: TlsVersion | RawVersion, name: string, opensslName: string, h: HandshakeResult | undefined): Suite {
  const t = suiteTraits(name, protocol);
  return {
    protocol,
    name,
    openssl_name: opensslName,
    forward_secrecy: t.forwardSecrecy,
    aead: t.aead,
    bits: t.bits,
    weak: t.weak,
    key_exchange: h ? ephemeralText(h) : null,
  };
}

async function enumerateVersion(ctx: ProbeContext, version: TlsVersion): Promise<{ suites: Suite[]; offered: string[] }> {
  const candidates = version === 'TLSv1.3' ? [...TLS13_SUITES] : legacySuiteCandidates(version);
  // A TLS 1.3 suite alone would leave the TLS <= 1.2 list empty, which OpenSSL refuses.
  const results = await Promise.all(
    candidates.map((c) => ctx.handshake({ minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? `${c}:DEFAULT` : c })),
  );
  const suites: Suite[] = [];
  const offered: string[] = [];
  results.forEach((h, i) => {
    if (!h?.secure || !h.standardName) return;
    const openssl = candidates[i] as string;
    if (suites.some((s) => s.name === h.standardName)) return;
    suites.push(toSuite(version, h.standardName, openssl, h));
    offered.push(openssl);
  });
  return { suites, offered };
}

async function pick(ctx: ProbeContext, version: TlsVersion, list: string[]): Promise<string | undefined> {
  // Node's `ciphers` sets TLS 1.3 suites too (names starting TLS_), without touching the others.
  const h = await ctx.handshake({ minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? `${list.join(':')}:DEFAULT` : list.join(':') });
  if (!h?.secure) return undefined;
  return version === 'TLSv1.3' ? h.standardName : h.opensslName;
}

/** undefined: not visible; [] : client order wins; otherwise the server's order. */
async function preference(ctx: ProbeContext, version: TlsVersion, offered: string[]): Promise<string[] | null | undefined> {
  if (offered.length < 2) return undefined;
  const [forward, reverse] = await Promise.all([pick(ctx, version, offered), pick(ctx, version, [...offered].reverse())]);
  if (!forward || !reverse) return undefined;
  if (forward !== reverse) return null;
  const order: string[] = [];
  let rest = [...offered];
  // Sequential by nature: each pick decides the next offer.
  while (rest.length > 0 && !ctx.deadline.expired()) {
    const chosen = rest.length === 1 ? rest[0] : await pick(ctx, version, rest);
    if (!chosen) break;
    order.push(chosen);
    rest = rest.filter((s) => s.toUpperCase() !== chosen.toUpperCase());
  }
  return order;
}

/** Enumerates common suites one raw ClientHello each, when Node handshakes cannot finish. */
async function enumerateRaw(ctx: ProbeContext, version: RawVersion): Promise<Suite[]> {
  const results = await Promise.all(RAW_COMMON_SUITE_NAMES.map(([code]) => ctx.rawHello(version, [code])));
  return RAW_COMMON_SUITE_NAMES.filter(([code], i) => results[i]?.suite === code).map(([, name]) => toSuite(version, name, '(raw ClientHello)', undefined));
}

const WEAK_FAMILY_NAMES = Object.keys(RAW_WEAK_SUITES) as (keyof typeof RAW_WEAK_SUITES)[];

/** RC4, 3DES, DES and EXPORT: one raw ClientHello per family at the given version. */
async function weakFamilies(ctx: ProbeContext, version: RawVersion): Promise<Suite[]> {
  const results = await Promise.all(WEAK_FAMILY_NAMES.map((f) => ctx.rawHello(version, RAW_WEAK_SUITES[f].map(([code]) => code))));
  const suites: Suite[] = [];
  results.forEach((r, i) => {
    const family = RAW_WEAK_SUITES[WEAK_FAMILY_NAMES[i] as keyof typeof RAW_WEAK_SUITES];
    const hit = family.find(([code]) => code === r?.suite);
    if (hit) suites.push(toSuite(version, hit[1], '(raw ClientHello)', undefined));
  });
  return suites;
}

export async function probeCiphers(ctx: ProbeContext, versions: TlsVersion[], rawOnly: RawVersion[]): Promise<CipherProbe> {
  const notes: string[] = [];
  const perVersion = await Promise.all(versions.map((v) => enumerateVersion(ctx, v)));
  const suites = perVersion.flatMap((p) => p.suites);
  const preferredOrder: Record<string, string[]> = {};
  let serverPreference: boolean | null = null;
  const prefs = await Promise.all(versions.map((v, i) => preference(ctx, v, perVersion[i]?.offered ?? [])));
  prefs.forEach((p, i) => {
    const v = versions[i] as TlsVersion;
    if (p === undefined) return;
    if (p === null) {
      if (serverPreference === null) serverPreference = false;
      return;
    }
    serverPreference = true;
    const byOpenssl = new Map(perVersion[i]?.suites.map((s) => [s.openssl_name.toUpperCase(), s.name]));
    preferredOrder[v] = p.map((n) => byOpenssl.get(n.toUpperCase()) ?? n);
  });
  const legacy = [...versions.filter((v) => v !== 'TLSv1.3'), ...rawOnly];
  const weak = await Promise.all(legacy.map((v) => weakFamilies(ctx, v as RawVersion)));
  suites.push(...weak.flat());
  const rawSuites = await Promise.all(rawOnly.map((v) => enumerateRaw(ctx, v)));
  suites.push(...rawSuites.flat());
  for (const v of rawOnly) {
    notes.push(`${v}: a handshake without a client certificate fails, so only the ${RAW_COMMON_SUITE_NAMES.length} common suites were tried with raw ClientHellos (no key exchange sizes, no preference order; pass --cert/--key for the full list)`);
  }
  return { suites, serverPreference, preferredOrder, notes };
}
