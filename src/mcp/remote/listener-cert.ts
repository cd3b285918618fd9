/**
 * The remote MCP listener's own server certificate, from the local CA. One is
 * reused across restarts while it is valid and names the listen host, so
 * restarting the server does not grow the inventory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { CertificateAuthority } from '../../ca/types.js';
import type { Logger } from '../../logger.js';

/** The inventory service name the listener's certificates are filed under. */
export const LISTENER_SERVICE = 'tlsmcp-mcp';

export interface ListenerCertificate {
  certPem: string;
  keyPem: string;
  caPem: string;
  serial: string;
  notAfter: string;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

function wantedNames(host: string): { dns: string[]; ip: string[] } {
  const dns = new Set(['localhost']);
  const ip = new Set(['127.0.0.1', '::1']);
  if (WILDCARD.has(host)) dns.add(hostname().toLowerCase());
  else if (isIP(host)) ip.add(host);
  else dns.add(host.toLowerCase());
  return { dns: [...dns], ip: [...ip] };
}

export async function ensureListenerCertificate(ca: CertificateAuthority, host: string, logger: Logger): Promise<ListenerCertificate> {
  const wanted = wantedNames(host);
  const candidates = (await ca.list({ service: LISTENER_SERVICE, type: 'server', status: 'valid' }))
    .filter((c) => c.files.key && existsSync(c.files.key))
    .filter((c) => wanted.dns.every((d) => c.sans.dns.includes(d)) && wanted.ip.every((i) => c.sans.ip.includes(i)))
    .sort((a, b) => b.not_after.localeCompare(a.not_after));
  const reuse = candidates[0];
  if (reuse?.files.key) {
    return {
      certPem: readFileSync(reuse.files.cert, 'utf8'),
      keyPem: readFileSync(reuse.files.key, 'utf8'),
      caPem: ca.caCertPem(),
      serial: reuse.serial,
      notAfter: reuse.not_after,
    };
  }
  const issued = await ca.issue({ type: 'server', service: LISTENER_SERVICE, cn: LISTENER_SERVICE, dns: wanted.dns, ip: wanted.ip });
  logger.info({ event: 'mcp_listener_cert_issued', serial: issued.record.serial, not_after: issued.record.not_after }, 'issued the MCP listener certificate');
  return {
    certPem: issued.certPem,
    keyPem: issued.keyPem!,
    caPem: issued.caPem,
    serial: issued.record.serial,
    notAfter: issued.record.not_after,
  };
}
