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

/** A certificate is reused while it has more than `renewBeforeMs` left, so renewal always finds it due. */
export async function ensureListenerCertificate(
  ca: CertificateAuthority,
  host: string,
  logger: Logger,
  { renewBeforeMs, now }: { renewBeforeMs: number; now: Date },
): Promise<ListenerCertificate> {
  const wanted = wantedNames(host);
  const candidates = (await ca.list({ service: LISTENER_SERVICE, type: 'server' }))
    .filter((c) => c.status !== 'revoked' && Date.parse(c.not_after) - now.getTime() > renewBeforeMs)
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

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Renews the listener certificate `renewBeforeMs` before it expires and hands
 * the new one to `apply` (which swaps the TLS context for new handshakes), then
 * schedules the next renewal. A failed renewal is retried a minute later.
 */
export function scheduleListenerRenewal(options: {
  ca: CertificateAuthority;
  host: string;
  logger: Logger;
  clock: () => Date;
  renewBeforeMs: number;
  current: ListenerCertificate;
  apply: (cert: ListenerCertificate) => void;
}): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current = options.current;
  const arm = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      ensureListenerCertificate(options.ca, options.host, options.logger, { renewBeforeMs: options.renewBeforeMs, now: options.clock() })
        .then((next) => {
          if (stopped) return;
          if (next.serial !== current.serial) {
            options.apply(next);
            current = next;
            options.logger.info({ event: 'mcp_listener_cert_renewed', serial: next.serial, not_after: next.notAfter }, 'renewed the MCP listener certificate');
          }
          arm(dueIn(current));
        })
        .catch((err: Error) => {
          options.logger.error({ event: 'mcp_listener_cert_renew_failed', err: err.message }, 'renewing the MCP listener certificate failed; retrying in a minute');
          arm(60_000);
        });
    }, Math.max(0, Math.min(delayMs, MAX_TIMER_MS)));
    timer.unref();
  };
  const dueIn = (cert: ListenerCertificate) => Date.parse(cert.notAfter) - options.renewBeforeMs - options.clock().getTime();
  arm(dueIn(current));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
