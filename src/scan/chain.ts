/**
 * The certificate chain verdicts: order, completeness, trust (Node's default
 * root store, and the local CA when one is given), hostname match against the
 * SNI name, validity. Trust comes from real OpenSSL verification in the probe
 * handshakes; completeness is checked here against the known anchors.
 */
import tls from 'node:tls';
import { X509Certificate as NodeX509 } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { issuedBy, isSelfSigned, parseCertificate } from './certificate.js';
import { anchorsFor } from './chain-complete.js';
import type { ChainReport } from './report-schema.js';

export interface ChainInput {
  /** DER, leaf first. */
  der: Buffer[];
  asSent: boolean;
  hostname: string;
  /** The leaf as Node's tls sees it, for tls.checkServerIdentity. */
  peer: PeerCertificate | undefined;
  /** undefined when no handshake completed, so trust could not be verified. */
  system: { authorized: boolean; error: string | undefined } | undefined;
  local: { authorized: boolean; error: string | undefined } | undefined;
  /** Local CA certificates (PEM), counted as anchors for completeness. */
  localAnchors: string[];
  nowMs: number;
}

type ChainObserved = Omit<ChainReport, 'completion'>;


export type { ChainObserved };
export function analyzeChain(input: ChainInput): ChainObserved {
  const nodes = input.der.map((d) => new NodeX509(d));
  const certificates = input.der.map((d) => parseCertificate(d, input.nowMs));
  let inOrder = true;
  for (let i = 0; i + 1 < nodes.length; i++) {
    if (!issuedBy(nodes[i] as NodeX509, nodes[i + 1] as NodeX509)) inOrder = false;
  }
  const last = nodes[nodes.length - 1];
  let complete = false;
  if (last) {
    complete = isSelfSigned(last) || anchorsFor(input.localAnchors).some((a) => issuedBy(last, a));
  }
  let hostnameError: string | null = null;
  if (input.peer) {
    const err = tls.checkServerIdentity(input.hostname, input.peer);
    hostnameError = err ? err.message : null;
  } else if (nodes[0]) {
    const leaf = nodes[0];
    const ok = /^[\d.]+$|:/.test(input.hostname) ? leaf.checkIP(input.hostname) : leaf.checkHost(input.hostname);
    hostnameError = ok ? null : `${input.hostname} is not in the certificate's names`;
  } else {
    hostnameError = 'no certificate';
  }
  const now = input.nowMs;
  const nonRoot = certificates.filter((c, i) => i === 0 || !c.self_signed);
  return {
    certificates,
    as_sent: input.asSent,
    in_order: inOrder,
    complete,
    trusted_system: input.system ? input.system.authorized : null,
    system_error: input.system ? (input.system.authorized ? null : (input.system.error ?? 'not verified')) : 'no handshake completed',
    trusted_local_ca: input.local ? input.local.authorized : null,
    local_ca_error: input.local && !input.local.authorized ? (input.local.error ?? 'not verified') : null,
    hostname: input.hostname,
    hostname_match: hostnameError === null,
    hostname_error: hostnameError,
    expired: nonRoot.some((c) => Date.parse(c.not_after) < now),
    not_yet_valid: nonRoot.some((c) => Date.parse(c.not_before) > now),
  };
}
