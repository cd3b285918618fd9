/**
 * Where a service's certificates come from: the config's files, or the local
 * CA (a server certificate for the service's names, reused while valid and
 * renewed `server_cert.renew_before` ahead of expiry). Also the trust anchors:
 * the local CA plus `trusted_roots`.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CertificateAuthority } from '../ca/types.js';
import type { ServiceConfig } from '../config/schema.js';
import { TlsmcpError } from '../errors.js';
import { normalizeSerial } from '../ca/serial.js';
import type { TlsMaterial } from '../protocol/messages.js';

export interface ResolvedMaterial {
  material: TlsMaterial;
  source: 'config' | 'ca';
  serial: string;
  notAfter: Date;
  /** Files to watch for changes (config-sourced certificates and roots). */
  files: string[];
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_CONFIG_INVALID', `${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      fix: `check the path in ${key}`,
      cause: err,
    });
  }
}

/** The names a CA-issued server certificate covers when server_cert.dns/ip are not given. */
export function defaultServerNames(svc: ServiceConfig): { dns: string[]; ip: string[] } {
  const host = svc.listen.address.host;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const dns = svc.server_cert.dns ?? [...new Set([...(!wildcard && !isIP(host) ? [host] : []), 'localhost'])];
  const ip = svc.server_cert.ip ?? [...new Set([...(!wildcard && isIP(host) ? [host] : []), '127.0.0.1'])];
  return { dns, ip };
}

function trustAnchors(svc: ServiceConfig, ca: CertificateAuthority): { pems: string[]; files: string[] } {
  const pems = ca.exists() ? [ca.caCertPem()] : [];
  svc.trusted_roots.forEach((file, i) => pems.push(readPem(file, `${svc.path ? `${svc.path}.` : ''}trusted_roots[${i}]`)));
  return { pems, files: [...svc.trusted_roots] };
}

function describe(certPem: string): { serial: string; notAfter: Date } {
  const cert = new X509Certificate(certPem);
  return { serial: normalizeSerial(cert.serialNumber), notAfter: new Date(cert.validTo) };
}

/** Server mode: the listener's certificate and the client CAs it trusts. */
async function serverMaterial(svc: ServiceConfig, ca: CertificateAuthority, now: Date, forceNew: boolean): Promise<ResolvedMaterial> {
  const trust = trustAnchors(svc, ca);
  const at = (k: string) => `${svc.path ? `${svc.path}.` : ''}server_cert.${k}`;
  if (svc.server_cert.cert_file && svc.server_cert.key_file) {
    const certPem = readPem(svc.server_cert.cert_file, at('cert_file'));
    const keyPem = readPem(svc.server_cert.key_file, at('key_file'));
    return { material: { certPem, keyPem, caPems: trust.pems }, source: 'config', ...describe(certPem), files: [svc.server_cert.cert_file, svc.server_cert.key_file, ...trust.files] };
  }
  if (!ca.exists()) {
    throw new TlsmcpError('ERR_CA_MISSING', `service "${svc.name}" has no server_cert.cert_file and there is no local CA to issue one`, {
      fix: 'run `tlsmcp init`, or set server_cert.cert_file and server_cert.key_file',
    });
  }
  const names = defaultServerNames(svc);
  const renewAt = (notAfter: string) => Date.parse(notAfter) - svc.server_cert.renew_before;
  const reusable = forceNew
    ? undefined
    : (await ca.list({ service: svc.name, type: 'server' })).find(
        (c) =>
          c.status !== 'revoked' &&
          renewAt(c.not_after) > now.getTime() &&
          c.files.key !== undefined &&
          existsSync(c.files.key) &&
          sameSet(c.sans.dns, names.dns) &&
          sameSet(c.sans.ip, names.ip),
      );
  if (reusable?.files.key) {
    const certPem = readFileSync(reusable.files.cert, 'utf8');
    const keyPem = readFileSync(reusable.files.key, 'utf8');
    return { material: { certPem, keyPem, caPems: trust.pems }, source: 'ca', ...describe(certPem), files: trust.files };
  }
  const issued = await ca.issue({ type: 'server', service: svc.name, cn: names.dns[0] ?? svc.name, dns: names.dns, ip: names.ip, ttlMs: svc.server_cert.ttl });
  if (!issued.keyPem) throw new TlsmcpError('ERR_INTERNAL', 'the CA issued a server certificate without a key');
  return { material: { certPem: issued.certPem, keyPem: issued.keyPem, caPems: trust.pems }, source: 'ca', ...describe(issued.certPem), files: trust.files };
}

/** Client mode: the certificate presented to the remote and the CA that signs the remote's certificate. */
async function clientMaterial(svc: ServiceConfig, ca: CertificateAuthority, now: Date, forceNew: boolean): Promise<ResolvedMaterial> {
  const tls = svc.backend.tls ?? {};
  const at = (k: string) => `${svc.path ? `${svc.path}.` : ''}backend.tls.${k}`;
  const caPems = tls.ca_file ? [readPem(tls.ca_file, at('ca_file'))] : trustAnchors(svc, ca).pems;
  const files = [...(tls.ca_file ? [tls.ca_file] : svc.trusted_roots)];
  if (tls.cert_file && tls.key_file) {
    const certPem = readPem(tls.cert_file, at('cert_file'));
    const keyPem = readPem(tls.key_file, at('key_file'));
    return { material: { certPem, keyPem, caPems }, source: 'config', ...describe(certPem), files: [tls.cert_file, tls.key_file, ...files] };
  }
  if (!ca.exists()) {
    throw new TlsmcpError('ERR_CA_MISSING', `client-mode service "${svc.name}" has no backend.tls.cert_file and there is no local CA to issue one`, {
      fix: 'run `tlsmcp init`, or set backend.tls.cert_file and backend.tls.key_file',
    });
  }
  const reusable = forceNew
    ? undefined
    : (await ca.list({ service: svc.name, type: 'client' })).find(
        (c) => c.status === 'valid' && c.cn === svc.name && c.files.key !== undefined && existsSync(c.files.key) && Date.parse(c.not_after) > now.getTime(),
      );
  if (reusable?.files.key) {
    const certPem = readFileSync(reusable.files.cert, 'utf8');
    return { material: { certPem, keyPem: readFileSync(reusable.files.key, 'utf8'), caPems }, source: 'ca', ...describe(certPem), files };
  }
  const issued = await ca.issue({ type: 'client', service: svc.name, cn: svc.name });
  if (!issued.keyPem) throw new TlsmcpError('ERR_INTERNAL', 'the CA issued a client certificate without a key');
  return { material: { certPem: issued.certPem, keyPem: issued.keyPem, caPems }, source: 'ca', ...describe(issued.certPem), files };
}

export function resolveMaterial(svc: ServiceConfig, ca: CertificateAuthority, now: Date, { forceNew = false } = {}): Promise<ResolvedMaterial> {
  return svc.mode === 'client' ? clientMaterial(svc, ca, now, forceNew) : serverMaterial(svc, ca, now, forceNew);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
