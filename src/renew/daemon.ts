/**
 * The renewal daemon behind `tlsmcp renew --watch`: on each pass it checks the
 * certificates this instance serves and presents, and for each one due it
 * requests a successor from the CA, validates it, makes a running `tlsmcp run`
 * use it for new connections (live ones keep the old one), and keeps the old
 * one valid for the overlap window, then revokes it as superseded. One log
 * line per step: checking, requesting, issued, validated, active, overlap.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { CertificateAuthority, CertView } from '../ca/index.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { formatDuration } from '../util/duration.js';
import { dueAt, renewTargets, type RenewTarget } from './targets.js';
import { validateRenewal } from './validate.js';

export interface RenewDaemonOptions {
  ca: CertificateAuthority;
  config: Config;
  logger: Logger;
  clock?: () => Date;
  /**
   * Makes a running `tlsmcp run` pick the new certificate up for new
   * connections. Resolves to where it went live, or undefined when nothing runs.
   */
  activate: (service: string) => Promise<string | undefined>;
}

export type RenewOutcome =
  | { service: string; result: 'ok'; id: string; due_at: string }
  | { service: string; result: 'renewed'; old_id: string; new_id: string; active_in: string | undefined }
  | { service: string; result: 'failed'; error: string }
  | { service: string; result: 'warning' | 'skipped'; detail: string };

export interface RenewDaemon {
  /** One pass over every certificate. */
  checkOnce(): Promise<RenewOutcome[]>;
  /** Passes every `intervalMs` until `signal` aborts. */
  watch(intervalMs: number, signal: AbortSignal): Promise<void>;
}

/** Time left in its largest whole unit, as the walkthrough shows it: "14d", "5h", "23s". */
function expiresIn(notAfter: string, now: Date): string {
  const ms = Math.max(0, Date.parse(notAfter) - now.getTime());
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${Math.floor(ms / 1000)}s`;
}

export function createRenewDaemon(options: RenewDaemonOptions): RenewDaemon {
  const { ca, config, logger } = options;
  const clock = options.clock ?? (() => new Date());

  async function renewOne(target: Extract<RenewTarget, { kind: 'ca' }>, current: CertView): Promise<RenewOutcome> {
    const { service } = target;
    const log = logger.child({ service, cert_type: target.certType });
    log.info({ event: 'renew_requesting', id: current.id }, 'Requesting renewal');
    const { record, certPem } = await ca.renew(current.id);
    const now = clock();
    log.info({ event: 'renew_issued', id: record.id, serial: record.serial, not_after: record.not_after, expires_in: expiresIn(record.not_after, now) }, `New cert issued (exp: ${expiresIn(record.not_after, now)})`);
    const problem = validateRenewal(current, record, certPem, ca.caCertPem(), now);
    if (problem) {
      await ca.revoke(record.id, 'unspecified');
      log.error({ event: 'renew_invalid', id: record.id, problem }, `Validation failed: ${problem}; the new certificate is revoked and the old one stays in use`);
      return { service, result: 'failed', error: problem };
    }
    log.info({ event: 'renew_validated', id: record.id }, 'Validation OK');
    let activeIn: string | undefined;
    try {
      activeIn = await options.activate(service);
      log.info({ event: 'renew_active', id: record.id, where: activeIn ?? 'none running' }, activeIn ? `Active for new conns (${activeIn})` : 'Active for new conns (no tlsmcp run is running: the next one starts with it)');
    } catch (err) {
      log.warn({ event: 'renew_activate_failed', id: record.id, err: (err as Error).message }, `could not reach the running tlsmcp: ${(err as Error).message}; it takes the new certificate at its next reload`);
    }
    const until = new Date(Math.min(Date.parse(record.issued_at) + target.overlap, Date.parse(current.not_after))).toISOString();
    log.info({ event: 'renew_overlap', old_id: current.id, overlap: formatDuration(target.overlap), old_valid_until: until }, `Overlap: ${formatDuration(target.overlap)} (old still valid until ${until})`);
    return { service, result: 'renewed', old_id: current.id, new_id: record.id, active_in: activeIn };
  }

  /** Old certificates whose successor has been live for the overlap window are revoked as superseded. */
  async function closeOverlaps(target: Extract<RenewTarget, { kind: 'ca' }>, inventory: CertView[]): Promise<void> {
    const now = clock().getTime();
    for (const successor of inventory) {
      if (!successor.renewed_from || successor.service !== target.service || successor.type !== target.certType) continue;
      const old = inventory.find((c) => c.id === successor.renewed_from);
      if (!old || old.status === 'revoked' || old.status === 'expired') continue;
      if (now < Date.parse(successor.issued_at) + target.overlap) continue;
      await ca.revoke(old.id, 'superseded');
      logger.info({ event: 'renew_overlap_closed', service: target.service, old_id: old.id, new_id: successor.id }, 'Overlap over: old cert revoked (superseded)');
    }
  }

  async function checkOnce(): Promise<RenewOutcome[]> {
    const inventory = ca.exists() ? await ca.list() : [];
    const outcomes: RenewOutcome[] = [];
    for (const target of renewTargets(config, inventory)) {
      const now = clock();
      if (target.kind === 'acme') {
        outcomes.push({ service: target.service, result: 'skipped', detail: 'provider letsencrypt: renewed by the ACME client inside tlsmcp run' });
        continue;
      }
      if (target.kind === 'files') {
        outcomes.push(checkFiles(target, now));
        continue;
      }
      const current = target.current;
      if (!current) {
        logger.info({ event: 'renew_checking', service: target.service }, 'Checking cert: none issued yet (tlsmcp run issues one at start)');
        outcomes.push({ service: target.service, result: 'skipped', detail: 'no certificate issued yet' });
        continue;
      }
      const due = dueAt(target, current);
      logger.info(
        { event: 'renew_checking', service: target.service, cert_type: target.certType, id: current.id, not_after: current.not_after, expires_in: expiresIn(current.not_after, now), due_at: new Date(due).toISOString() },
        `Checking cert ${current.id} (exp: ${expiresIn(current.not_after, now)})`,
      );
      try {
        outcomes.push(now.getTime() >= due ? await renewOne(target, current) : { service: target.service, result: 'ok', id: current.id, due_at: new Date(due).toISOString() });
        await closeOverlaps(target, await ca.list());
      } catch (err) {
        logger.error({ event: 'renew_failed', service: target.service, err: (err as Error).message }, `renewal failed: ${(err as Error).message}; retrying at the next check`);
        outcomes.push({ service: target.service, result: 'failed', error: (err as Error).message });
      }
    }
    return outcomes;
  }

  function checkFiles(target: Extract<RenewTarget, { kind: 'files' }>, now: Date): RenewOutcome {
    let notAfter: string;
    try {
      notAfter = new Date(new X509Certificate(readFileSync(target.certFile)).validTo).toISOString();
    } catch (err) {
      logger.error({ event: 'renew_failed', service: target.service, file: target.certFile, err: (err as Error).message }, `cannot read ${target.certFile}`);
      return { service: target.service, result: 'failed', error: (err as Error).message };
    }
    const left = Date.parse(notAfter) - now.getTime();
    if (left <= target.renewBefore) {
      const detail = `${target.certFile} expires ${notAfter} (in ${expiresIn(notAfter, now)}): replace it (tlsmcp does not renew operator-supplied certificates)`;
      logger.warn({ event: 'cert_expiring', service: target.service, file: target.certFile, not_after: notAfter }, detail);
      return { service: target.service, result: 'warning', detail };
    }
    logger.info({ event: 'renew_checking', service: target.service, file: target.certFile, not_after: notAfter }, `Checking cert ${target.certFile} (exp: ${expiresIn(notAfter, now)})`);
    return { service: target.service, result: 'ok', id: target.certFile, due_at: new Date(Date.parse(notAfter) - target.renewBefore).toISOString() };
  }

  async function watch(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await checkOnce();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  return { checkOnce, watch };
}
