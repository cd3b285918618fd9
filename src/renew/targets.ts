/**
 * Which certificates this instance serves and presents, and when each is due:
 * a server-mode service's certificate from the local CA (due `renew_before`
 * ahead of expiry), a client-mode service's client certificate from the local
 * CA (due `client_cert.renew_before` ahead, or when a third of its lifetime is
 * left), and operator-supplied files (not renewed here: an expiry warning).
 * Mirrors the choice `tls-material.ts` makes at start, so the renewed
 * certificate is the one a reload picks up.
 */
import type { CertView } from '../ca/index.js';
import type { Config } from '../config/schema.js';

export type RenewTarget =
  | { kind: 'ca'; service: string; certType: 'server' | 'client'; current: CertView | undefined; renewBefore: (c: CertView) => number; overlap: number }
  | { kind: 'files'; service: string; certFile: string; renewBefore: number }
  | { kind: 'acme'; service: string };

export function renewTargets(config: Config, inventory: CertView[]): RenewTarget[] {
  const targets: RenewTarget[] = [];
  const live = (c: CertView) => c.status !== 'revoked' && c.status !== 'expired' && c.files.key !== undefined;
  const newest = (list: CertView[]) => [...list].sort((a, b) => Date.parse(b.not_after) - Date.parse(a.not_after))[0];
  for (const svc of config.services) {
    if (svc.mode === 'server') {
      const sc = svc.server_cert;
      if (sc.cert_file) {
        targets.push({ kind: 'files', service: svc.name, certFile: sc.cert_file, renewBefore: sc.renew_before });
      } else if (sc.provider === 'letsencrypt') {
        targets.push({ kind: 'acme', service: svc.name });
      } else {
        const current = newest(inventory.filter((c) => c.type === 'server' && c.service === svc.name && live(c)));
        targets.push({ kind: 'ca', service: svc.name, certType: 'server', current, renewBefore: () => sc.renew_before, overlap: sc.overlap });
      }
    } else {
      const tls = svc.backend.tls;
      if (tls?.cert_file) {
        targets.push({ kind: 'files', service: svc.name, certFile: tls.cert_file, renewBefore: config.client_cert.renew_before ?? config.server_cert.renew_before });
        continue;
      }
      const cc = config.client_cert;
      const current = newest(inventory.filter((c) => c.type === 'client' && c.service === svc.name && c.cn === svc.name && live(c)));
      const renewBefore = (c: CertView) => clientRenewBefore(cc, Date.parse(c.not_before), Date.parse(c.not_after));
      targets.push({ kind: 'ca', service: svc.name, certType: 'client', current, renewBefore, overlap: cc.overlap });
    }
  }
  return targets;
}

/** How long before expiry a client certificate is renewed: `client_cert.renew_before`, else when a third of its lifetime is left. */
export function clientRenewBefore(cc: Pick<Config['client_cert'], 'renew_before'>, notBefore: number, notAfter: number): number {
  return cc.renew_before ?? Math.floor((notAfter - notBefore) / 3);
}

/** When a CA certificate is due for renewal (ms since the epoch). */
export function dueAt(target: Extract<RenewTarget, { kind: 'ca' }>, cert: CertView): number {
  return Date.parse(cert.not_after) - target.renewBefore(cert);
}
