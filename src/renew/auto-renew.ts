/**
 * When `tlsmcp run` renews a service's local-CA certificate in the background
 * (the supervisor's timer): a server-mode service's certificate by
 * `server_cert.auto_renew` / `renew_before`; a client-mode service's client
 * certificate (the one it presents upstream) by `client_cert.auto_renew` /
 * `renew_before`, which defaults to a third of its lifetime left — the same
 * due date `tlsmcp renew --watch` uses (./targets.ts). With auto_renew off,
 * renewal is left to `tlsmcp renew --watch`.
 */
import { X509Certificate } from 'node:crypto';
import type { Config, ServiceConfig } from '../config/schema.js';
import { clientRenewBefore } from './targets.js';

/** When (ms since the epoch) to renew the certificate `certPem` the service uses, or undefined when `tlsmcp run` leaves it alone. */
export function autoRenewAt(svc: Pick<ServiceConfig, 'mode' | 'server_cert'>, clientCert: Config['client_cert'], certPem: string): number | undefined {
  const cert = new X509Certificate(certPem);
  const notAfter = Date.parse(cert.validTo);
  if (svc.mode === 'client') {
    if (!clientCert.auto_renew) return undefined;
    return notAfter - clientRenewBefore(clientCert, Date.parse(cert.validFrom), notAfter);
  }
  if (!svc.server_cert.auto_renew) return undefined;
  return notAfter - svc.server_cert.renew_before;
}
