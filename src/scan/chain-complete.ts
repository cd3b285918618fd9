/**
 * Completes a chain the server sent without its intermediates, the way SSL
 * Labs and testssl do: the missing issuer may come from the local CA bundle,
 * from the certificates given with --intermediates, or from the last
 * certificate's AIA `caIssuers` URL (fetched under the scan target policy).
 * A chain completed this way is judged trusted or not on the completed chain,
 * and keeps the "incomplete chain" cap; an issuer found nowhere leaves it
 * untrusted. Which path applied is reported.
 */
import 'reflect-metadata';
import tls from 'node:tls';
import { X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { issuedBy, isSelfSigned } from './certificate.js';
import type { AiaFetchResult } from './aia-fetch.js';
import type { ChainCompletion } from './report-schema.js';

/** Longest run of missing issuers looked for (leaf → intermediates → root). */
const MAX_ADDED = 4;

export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parseAll(pems: string[]): NodeX509[] {
  const out: NodeX509[] = [];
  for (const pem of pems.flatMap(splitPem)) {
    try {
      out.push(new NodeX509(pem));
    } catch {
      // A malformed given certificate only means one candidate fewer.
    }
  }
  return out;
}

/** The system roots (Node's bundled store and NODE_EXTRA_CA_CERTS) and the local anchors. */
export function systemRootPems(): string[] {
  const withExtra = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  return withExtra ? withExtra('default') : [...tls.rootCertificates];
}

/** Trust anchors: the system roots and the self-signed certificates of the local bundle (its intermediates are not anchors). */
export function anchorsFor(localAnchors: string[]): NodeX509[] {
  return [...parseAll(systemRootPems()), ...parseAll(localAnchors).filter((c) => isSelfSigned(c))];
}

/** The caIssuers URLs of a certificate's AIA extension. */
export function caIssuerUrls(der: Buffer): string[] {
  try {
    const ext = new x509.X509Certificate(der).getExtension(x509.AuthorityInfoAccessExtension);
    return (ext?.caIssuers ?? []).filter((n) => n.type === 'url').map((n) => n.value);
  } catch {
    return [];
  }
}

export interface CompletionSources {
  /** Trust anchors (system roots and local CA roots): the chain is complete when it reaches one. */
  anchors: NodeX509[];
  /** The local CA bundle (its intermediates are candidates). */
  localCaPems: string[];
  /** --intermediates. */
  intermediatePems: string[];
  /** Fetches a caIssuers URL; undefined leaves AIA unused. */
  fetchAia: ((url: string) => Promise<AiaFetchResult>) | undefined;
}

export interface CompletedChain extends ChainCompletion {
  /** The added issuers as PEM, for the trust re-check. */
  addedPems: string[];
}

const anchored = (cert: NodeX509, anchors: NodeX509[]) => isSelfSigned(cert) || anchors.some((a) => issuedBy(cert, a));

/** Looks for the missing issuers of `der` (leaf first, as sent). */
export async function completeChain(der: Buffer[], s: CompletionSources): Promise<CompletedChain> {
  const chain = der.map((d) => new NodeX509(d));
  const added: CompletedChain['added'] = [];
  const addedPems: string[] = [];
  const problems: string[] = [];
  const pools: [ChainCompletion['added'][number]['source'], NodeX509[]][] = [
    ['local-ca', parseAll(s.localCaPems)],
    ['intermediates', parseAll(s.intermediatePems)],
  ];
  const first = chain[chain.length - 1];
  if (!first || anchored(first, s.anchors)) return { path: 'as-sent', added: [], note: null, addedPems: [] };

  while (added.length < MAX_ADDED) {
    const last = chain[chain.length - 1] as NodeX509;
    if (anchored(last, s.anchors)) break;
    let found: { cert: NodeX509; source: ChainCompletion['added'][number]['source']; url: string | null } | undefined;
    for (const [source, pool] of pools) {
      const cert = pool.find((c) => issuedBy(last, c));
      if (cert) {
        found = { cert, source, url: null };
        break;
      }
    }
    if (!found && s.fetchAia) {
      const urls = caIssuerUrls(last.raw);
      if (urls.length === 0) problems.push(`${last.subject.replace(/\n/g, ', ')} has no AIA caIssuers URL`);
      for (const url of urls) {
        const r = await s.fetchAia(url);
        if (!r.ok) {
          problems.push(r.error);
          continue;
        }
        const cert = r.der.map((d) => new NodeX509(d)).find((c) => issuedBy(last, c));
        if (cert) {
          found = { cert, source: 'aia', url };
          break;
        }
        problems.push(`${url}: the certificate there did not issue ${last.subject.replace(/\n/g, ', ')}`);
      }
    } else if (!found) {
      problems.push('AIA fetching is off');
    }
    if (!found) break;
    chain.push(found.cert);
    added.push({ subject: found.cert.subject.replace(/\n/g, ', '), source: found.source, url: found.url, fingerprint_sha256: found.cert.fingerprint256 });
    addedPems.push(found.cert.toString());
  }
  const last = chain[chain.length - 1] as NodeX509;
  if (!anchored(last, s.anchors)) {
    const where = 'not in the local CA, not in --intermediates';
    return { path: 'unobtainable', added, addedPems, note: `the issuer of ${last.subject.replace(/\n/g, ', ')} could not be obtained (${[where, ...problems].join('; ')})` };
  }
  const path = added[0]?.source ?? 'as-sent';
  return { path, added, addedPems, note: problems.length > 0 ? problems.join('; ') : null };
}
