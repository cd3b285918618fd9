/**
 * Keeps an enrolled sidecar's server certificate fresh: `renew_before` ahead of
 * expiry it asks the Hub to renew it (POST /api/v1/certs/renew; the key stays,
 * since the certificate came from the instance's CSR) and rewrites
 * STATE/hub/server.pem, which the supervisor watches and reloads. A failure
 * (the Hub down) is retried every sync_interval.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { HubFollower } from './follower.js';
import { readEnrollment, writeEnrollment, type SidecarHubPaths } from './sidecar-files.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** A renewed certificate that is still inside the window (renew_before ≥ its TTL) is not renewed again sooner than this. */
const MIN_GAP_MS = 3_600_000;

export interface ServerCertRenewalOptions {
  paths: SidecarHubPaths;
  follower: HubFollower;
  renewBeforeMs: number;
  retryMs: number;
  logger: Logger;
  clock?: () => Date;
}

export function startServerCertRenewal(options: ServerCertRenewalOptions): { close(): void } {
  const { paths, follower, logger } = options;
  const clock = options.clock ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = (delay: number) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void renew(), Math.max(0, Math.min(delay, MAX_TIMER_MS)));
    timer.unref();
  };

  const dueIn = () => {
    const notAfter = Date.parse(new X509Certificate(readFileSync(paths.serverCert, 'utf8')).validTo);
    return notAfter - options.renewBeforeMs - clock().getTime();
  };

  async function renew() {
    const enrollment = readEnrollment(paths);
    if (!enrollment || closed) return;
    try {
      const issued = await follower.request<{ id: string; cert_pem: string; not_after: string }>('POST', '/api/v1/certs/renew', { id: enrollment.server_cert_id });
      writeFileAtomic(paths.serverCert, issued.cert_pem);
      writeEnrollment(paths, { ...enrollment, server_cert_id: issued.id });
      logger.info({ event: 'hub_server_cert_renewed', id: issued.id, not_after: issued.not_after }, 'the Hub renewed the server certificate');
      schedule(Math.max(dueIn(), MIN_GAP_MS));
    } catch (err) {
      logger.warn({ event: 'hub_server_cert_renew_failed', err: (err as Error).message }, 'server certificate renewal failed; will retry');
      schedule(options.retryMs);
    }
  }

  schedule(dueIn());
  return {
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
