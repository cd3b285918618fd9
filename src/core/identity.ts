/**
 * Who is on the other end of a TLS connection: one parser for every listener
 * (TCP proxy, MCP front, remote MCP). Names come from the certificate's ASN.1
 * structure (./der.ts), never from Node's display strings; the serial is
 * normalized here once, as the CA's inventory and revocations.json store it.
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { normalizeSerial } from '../ca/serial.js';
import { readCertificateNames } from './der.js';

export interface PeerIdentity {
  cn: string | undefined;
  o: string[];
  ou: string[];
  dns: string[];
  uri: string[];
  ip: string[];
  email: string[];
  /** Lowercase hex without separators or leading zero bytes. */
  serial: string;
  /** Uppercase hex pairs joined by ":" (Node's format, as the inventory stores it). */
  readonly fingerprint256: string;
  /** Milliseconds since the epoch. */
  notBefore: number;
  notAfter: number;
  cert: X509Certificate;
}

/** Reads CN, O, OU, the SANs, serial and validity of a certificate. */
export function identityOf(cert: X509Certificate): PeerIdentity {
  let names;
  try {
    names = readCertificateNames(cert.raw);
  } catch {
    // OpenSSL parsed it for the handshake; a DER our walker cannot read gets no names (so matches no allowlist).
    names = { subject: {}, dns: [], uri: [], ip: [], email: [] };
  }
  const subject = names.subject;
  return {
    cn: subject.CN?.[0],
    o: subject.O ?? [],
    ou: subject.OU ?? [],
    dns: names.dns,
    uri: names.uri,
    ip: names.ip,
    email: names.email,
    serial: normalizeSerial(cert.serialNumber),
    get fingerprint256() {
      return cert.fingerprint256;
    },
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    cert,
  };
}

/** The peer's identity once the handshake is done; undefined when it sent no certificate. */
export function peerIdentityOf(socket: TLSSocket): PeerIdentity | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert ? identityOf(cert) : undefined;
}

/** SANs as one list for the audit trail: `dns:x`, `uri:y`, `ip:z`, `email:w`. */
export function sanList(identity: PeerIdentity): string[] {
  return [
    ...identity.dns.map((v) => `dns:${v}`),
    ...identity.uri.map((v) => `uri:${v}`),
    ...identity.ip.map((v) => `ip:${v}`),
    ...identity.email.map((v) => `email:${v}`),
  ];
}

/** How logs and refusals name a peer: `CN="web" serial 0a1b`. Values are JSON-escaped, never lossy. */
export function describePeer(identity: PeerIdentity | undefined, address?: string): string {
  const from = address ? ` from ${address}` : '';
  if (!identity) return `a client without a certificate${from}`;
  return `CN=${JSON.stringify(identity.cn ?? '')} serial ${identity.serial}${from}`;
}
