/**
 * Expiry warnings for certificates tlsmcp does not renew itself: the
 * operator's files (`server_cert.provider: commercial`, or any `cert_file`,
 * and client mode's `backend.tls.cert_file`). Checked at start and then every
 * `intervalMs`; a certificate within `renew_before` of expiry logs a warning
 * naming the file and the date.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { renewTargets } from './targets.js';

export interface ExpiryWarning {
  service: string;
  file: string;
  not_after: string;
}

/** The operator-supplied certificates within their renew_before window at `now`. */
export function expiringFiles(config: Config, now: Date): ExpiryWarning[] {
  const out: ExpiryWarning[] = [];
  for (const t of renewTargets(config, [])) {
    if (t.kind !== 'files') continue;
    let notAfter: number;
    try {
      notAfter = Date.parse(new X509Certificate(readFileSync(t.certFile)).validTo);
    } catch {
      continue; // the supervisor reports unreadable files with their key path
    }
    if (notAfter - now.getTime() <= t.renewBefore) out.push({ service: t.service, file: t.certFile, not_after: new Date(notAfter).toISOString() });
  }
  return out;
}

export function startExpiryWarnings(options: { config: Config; logger: Logger; intervalMs?: number; clock?: () => Date }): { close(): void } {
  const clock = options.clock ?? (() => new Date());
  const check = () => {
    for (const w of expiringFiles(options.config, clock())) {
      options.logger.warn({ event: 'cert_expiring', ...w }, `${w.service}: ${w.file} expires ${w.not_after}: replace it (tlsmcp does not renew operator-supplied certificates)`);
    }
  };
  check();
  const timer = setInterval(check, options.intervalMs ?? 86_400_000 / 4);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
