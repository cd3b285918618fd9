/**
 * Keeps an enrolled sidecar's certificates fresh, both issued by the Hub from
 * the instance's CSR (so renewal keeps the key): the server certificate
 * (STATE/hub/server.pem, which the supervisor watches and reloads) and the
 * instance certificate it authenticates to the Hub with (after which the
 * follower reconnects with it, since the Hub now knows the instance by the new
 * serial). Each is renewed `renew_before` ahead of its expiry through POST
 * /api/v1/certs/renew; a failure (the Hub down) is retried every sync_interval.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { HubFollower } from './follower.js';
import { readEnrollment, writeEnrollment, type Enrollment, type SidecarHubPaths } from './sidecar-files.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** A renewed certificate that is still inside the window (renew_before ≥ its TTL) is not renewed again sooner than this. */
const MIN_GAP_MS = 3_600_000;

export interface CertRenewalOptions {
  paths: SidecarHubPaths;
  follower: HubFollower;
  /** How long before expiry the server certificate is renewed. */
  renewBeforeMs: number;
  retryMs: number;
  logger: Logger;
  clock?: () => Date;
}

interface Renewable {
  name: 'server' | 'instance';
  file: string;
  idKey: 'server_cert_id' | 'cert_id';
  renewBeforeMs: number;
  after?: () => void;
}

/**
 * How long before expiry a certificate is renewed. The Hub picks the lifetime,
 * so the sidecar's renew_before (30 days by default) can be as long as the
 * certificate's life (the Hub's 30-day default): that would renew at every
 * start and every MIN_GAP_MS after, so such a certificate is renewed at two
 * thirds of its life instead. The instance certificate is renewed at two thirds
 * of its life at the latest, so the sidecar never loses the Hub to an expiry.
 */
export function renewAheadMs(name: Renewable['name'], renewBeforeMs: number, cert: X509Certificate): number {
  const life = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  const ahead = renewBeforeMs < life ? renewBeforeMs : life / 3;
  return name === 'instance' ? Math.max(ahead, life / 3) : ahead;
}

export function startCertRenewal(options: CertRenewalOptions): { close(): void } {
  const { paths, follower, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const schedule = (cert: Renewable, delay: number) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void renew(cert);
    }, Math.max(0, Math.min(delay, MAX_TIMER_MS)));
    timer.unref();
    timers.add(timer);
  };

  const dueIn = (cert: Renewable) => {
    const notAfter = Date.parse(new X509Certificate(readFileSync(cert.file, 'utf8')).validTo);
    return notAfter - cert.renewBeforeMs - clock().getTime();
  };

  async function renew(cert: Renewable) {
    const enrollment = readEnrollment(paths);
    if (!enrollment || closed) return;
    try {
      const issued = await follower.request<{ id: string; cert_pem: string; not_after: string }>('POST', '/api/v1/certs/renew', { id: enrollment[cert.idKey] });
      writeFileAtomic(cert.file, issued.cert_pem);
      const latest: Enrollment = readEnrollment(paths) ?? enrollment;
      writeEnrollment(paths, { ...latest, [cert.idKey]: issued.id });
      logger.info({ event: 'hub_cert_renewed', cert: cert.name, id: issued.id, not_after: issued.not_after }, `the Hub renewed the ${cert.name} certificate`);
      cert.after?.();
      schedule(cert, Math.max(dueIn(cert), MIN_GAP_MS));
    } catch (err) {
      logger.warn({ event: 'hub_cert_renew_failed', cert: cert.name, err: (err as Error).message }, `${cert.name} certificate renewal failed; will retry`);
      schedule(cert, options.retryMs);
    }
  }

  const certs: Renewable[] = [
    { name: 'server', file: paths.serverCert, idKey: 'server_cert_id', renewBeforeMs: options.renewBeforeMs },
    { name: 'instance', file: paths.instanceCert, idKey: 'cert_id', renewBeforeMs: options.renewBeforeMs, after: () => follower.reconnect() },
  ];
  for (const cert of certs) {
    cert.renewBeforeMs = renewAheadMs(cert.name, options.renewBeforeMs, new X509Certificate(readFileSync(cert.file, 'utf8')));
    schedule(cert, dueIn(cert));
  }
  return {
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
