/**
 * A peer's identity as the policy sees it, read from the certificate Node
 * already parsed during the handshake. Built from `X509Certificate`, whose
 * fields are computed lazily, so a connection pays only for what is used.
 */
import type { X509Certificate } from 'node:crypto';
import { normalizeSerial } from '../ca/serial.js';

export interface PeerIdentity {
  cn: string | undefined;
  o: string[];
  ou: string[];
  dns: string[];
  uri: string[];
  ip: string[];
  /** Lowercase hex, as the CA's inventory and revocations.json store it. */
  serial: string;
  cert: X509Certificate;
}

/** Reads CN, O, OU and the SANs of a certificate. */
export function identityOf(cert: X509Certificate): PeerIdentity {
  const subject = parseDistinguishedName(cert.subject);
  const sans = parseSubjectAltName(cert.subjectAltName);
  return {
    cn: subject.CN?.[0],
    o: subject.O ?? [],
    ou: subject.OU ?? [],
    dns: sans.dns,
    uri: sans.uri,
    ip: sans.ip,
    serial: normalizeSerial(cert.serialNumber),
    cert,
  };
}

/** Node prints a subject one attribute per line: `CN=alice\nO=acme`. */
export function parseDistinguishedName(text: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!text) return out;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    (out[key] ??= []).push(unescapeDnValue(line.slice(eq + 1)));
  }
  return out;
}

function unescapeDnValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Node prints SANs as `DNS:a, IP Address:1.2.3.4, URI:spiffe://x`; a value that
 * itself holds a comma or quote is JSON-quoted (`URI:"a,b"`), so split carefully.
 */
export function parseSubjectAltName(text: string | undefined): { dns: string[]; uri: string[]; ip: string[] } {
  const out = { dns: [] as string[], uri: [] as string[], ip: [] as string[] };
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      let end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      } catch {
        value = text.slice(colon + 2, end);
      }
      next = text.indexOf(', ', end);
    } else {
      next = text.indexOf(', ', colon);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    if (kind === 'DNS') out.dns.push(value);
    else if (kind === 'URI') out.uri.push(value);
    else if (kind === 'IP Address') out.ip.push(value);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

/** SANs as one list for the audit trail: `dns:x`, `uri:y`, `ip:z`. */
export function sanList(identity: PeerIdentity): string[] {
  return [...identity.dns.map((v) => `dns:${v}`), ...identity.uri.map((v) => `uri:${v}`), ...identity.ip.map((v) => `ip:${v}`)];
}
