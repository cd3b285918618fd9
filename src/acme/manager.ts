/**
 * Server certificates from ACME for `tlsmcp run`: each service with
 * `server_cert.provider: letsencrypt` is served from files in the state dir
 * (`acme/<service>/cert.pem`, `key.pem` 0600), obtained before the listener
 * starts when none is there, and renewed in the background `renew_before`
 * ahead of expiry. A renewal writes the new files and asks the supervisor to
 * reload, which swaps the certificate for new connections while live ones
 * keep theirs. Failures are retried with exponential backoff.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ServiceConfig } from '../config/schema.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { MAX_TIMER_MS } from '../util/duration.js';
import type { ObtainOptions, ObtainedCertificate } from './obtain.js';
import { startStandaloneAlpnResponder, type AlpnChallengeSink } from './tls-alpn-responder.js';

async function obtainCertificate(options: ObtainOptions): Promise<ObtainedCertificate> {
  return (await import('./obtain.js')).obtainCertificate(options);
}

export interface AcmeManagerOptions {
  stateDir: string;
  logger: Logger;
  clock?: () => Date;
}

export interface AcmeServiceState {
  service: string;
  not_after: string | undefined;
  renew_at: string | undefined;
  /** Failed attempts since the last success (0 when healthy). */
  failures: number;
  /** Every failed attempt since start (the metric's counter). */
  failures_total: number;
  last_error: string | undefined;
  next_attempt: string | undefined;
}

export interface AcmeManager {
  /** Obtains what is missing, then returns the config pointed at the ACME files. */
  prepare(config: Config): Promise<Config>;
  /** The same pointing, without the network (for reloads). */
  rewrite(config: Config): Config;
  /**
   * Background renewal; `onRenewed` makes the running proxy use the new files;
   * `challenges` reaches the service's running listener for tls-alpn-01.
   */
  start(config: Config, onRenewed: (service: string) => Promise<void>, challenges?: (service: string) => AlpnChallengeSink): void;
  state(): AcmeServiceState[];
  close(): void;
}

export function acmeStateFile(stateDir: string): string {
  return join(stateDir, 'acme', 'state.json');
}

/** What the last `tlsmcp run` recorded about its ACME certificates, if any. */
export function readAcmeState(stateDir: string): { updated_at: string; services: AcmeServiceState[] } | undefined {
  try {
    return JSON.parse(readFileSync(acmeStateFile(stateDir), 'utf8')) as { updated_at: string; services: AcmeServiceState[] };
  } catch {
    return undefined;
  }
}

const isAcme = (svc: ServiceConfig) => svc.mode === 'server' && svc.server_cert.provider === 'letsencrypt';

export function createAcmeManager(options: AcmeManagerOptions): AcmeManager {
  const { logger } = options;
  const clock = options.clock ?? (() => new Date());
  const dir = join(options.stateDir, 'acme');
  const timers = new Map<string, NodeJS.Timeout>();
  const states = new Map<string, AcmeServiceState>();
  let closed = false;

  const files = (service: string) => ({ cert: join(dir, service, 'cert.pem'), key: join(dir, service, 'key.pem') });

  async function accountKey(): Promise<string> {
    const path = join(dir, 'account.key');
    if (existsSync(path)) return readFileSync(path, 'utf8');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // acme-client (and axios) load only when a service uses ACME.
    const acme = await import('acme-client');
    const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    writeFileAtomic(path, key, { mode: 0o600 });
    logger.info({ event: 'acme_account_key', path }, 'created the ACME account key (0600)');
    return key;
  }

  function notAfterOf(service: string): Date | undefined {
    const { cert } = files(service);
    if (!existsSync(cert)) return undefined;
    try {
      return new Date(new X509Certificate(readFileSync(cert)).validTo);
    } catch {
      return undefined;
    }
  }

  /** renew_before ahead of expiry; a third of the lifetime when renew_before exceeds it (no renewal loop). */
  function renewAt(svc: ServiceConfig): Date | undefined {
    const { cert } = files(svc.name);
    if (!existsSync(cert)) return undefined;
    const x = new X509Certificate(readFileSync(cert));
    const from = Date.parse(x.validFrom);
    const to = Date.parse(x.validTo);
    const before = svc.server_cert.renew_before < to - from ? svc.server_cert.renew_before : Math.floor((to - from) / 3);
    return new Date(to - before);
  }

  async function obtain(svc: ServiceConfig, alpn?: AlpnChallengeSink): Promise<void> {
    const domains = svc.server_cert.dns ?? [];
    const acmeCfg = svc.server_cert.acme ?? { directory_url: 'https://acme-v02.api.letsencrypt.org/directory', challenge: 'http-01' as const, http_port: 80, retry_delay: 30_000, max_retry_delay: 3_600_000 };
    logger.info({ event: 'acme_ordering', service: svc.name, domains, directory: acmeCfg.directory_url }, `ordering a certificate for ${domains.join(', ')}`);
    const accountFile = join(dir, 'account.json');
    const saved = existsSync(accountFile) ? (JSON.parse(readFileSync(accountFile, 'utf8')) as Record<string, string>) : {};
    const { certPem, keyPem, accountUrl } = await obtainCertificate({
      acme: acmeCfg,
      accountKeyPem: await accountKey(),
      accountUrl: saved[acmeCfg.directory_url],
      domains,
      logger: logger.child({ service: svc.name }),
      alpn,
    });
    if (saved[acmeCfg.directory_url] !== accountUrl) writeFileAtomic(accountFile, `${JSON.stringify({ ...saved, [acmeCfg.directory_url]: accountUrl }, null, 2)}\n`, { mode: 0o600 });
    const f = files(svc.name);
    mkdirSync(join(dir, svc.name), { recursive: true, mode: 0o700 });
    writeFileAtomic(f.key, keyPem, { mode: 0o600 });
    writeFileAtomic(f.cert, certPem, { mode: 0o644 });
    const x = new X509Certificate(certPem);
    logger.info({ event: 'acme_issued', service: svc.name, serial: x.serialNumber, issuer: x.issuer, not_after: new Date(x.validTo).toISOString() }, `certificate issued by ${x.issuer.split('\n').find((l) => l.startsWith('CN=')) ?? x.issuer}`);
  }

  function rewrite(config: Config): Config {
    return {
      ...config,
      services: config.services.map((svc) => (isAcme(svc) ? { ...svc, server_cert: { ...svc.server_cert, cert_file: files(svc.name).cert, key_file: files(svc.name).key } } : svc)),
    };
  }

  /** Kept in memory and in acme/state.json, which `tlsmcp status` shows beside the services. */
  function record(svc: ServiceConfig, patch: Partial<AcmeServiceState>): void {
    const prev = states.get(svc.name) ?? { service: svc.name, not_after: undefined, renew_at: undefined, failures: 0, failures_total: 0, last_error: undefined, next_attempt: undefined };
    states.set(svc.name, { ...prev, ...patch });
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(acmeStateFile(options.stateDir), `${JSON.stringify({ updated_at: clock().toISOString(), services: [...states.values()] }, null, 2)}\n`, { mode: 0o600 });
    } catch (err) {
      logger.warn({ event: 'acme_state_write_failed', err: (err as Error).message }, 'cannot write acme/state.json');
    }
  }

  let challengesOf: ((service: string) => AlpnChallengeSink) | undefined;

  function schedule(svc: ServiceConfig, onRenewed: (service: string) => Promise<void>, at: Date): void {
    if (closed) return;
    clearTimeout(timers.get(svc.name));
    record(svc, { next_attempt: at.toISOString() });
    const wait = Math.max(0, Math.min(at.getTime() - clock().getTime(), MAX_TIMER_MS));
    const timer = setTimeout(() => void attempt(svc, onRenewed), wait);
    timer.unref();
    timers.set(svc.name, timer);
  }

  async function attempt(svc: ServiceConfig, onRenewed: (service: string) => Promise<void>): Promise<void> {
    const due = renewAt(svc);
    if (due && due.getTime() > clock().getTime()) return schedule(svc, onRenewed, due); // a long timer woke early
    try {
      await obtain(svc, challengesOf?.(svc.name));
      if (closed) return;
      await onRenewed(svc.name);
      const next = renewAt(svc)!;
      record(svc, { not_after: notAfterOf(svc.name)?.toISOString(), renew_at: next.toISOString(), failures: 0, last_error: undefined });
      logger.info({ event: 'acme_renewed', service: svc.name, next_renewal: next.toISOString() }, 'ACME certificate renewed and active for new connections');
      schedule(svc, onRenewed, next);
    } catch (err) {
      const failures = (states.get(svc.name)?.failures ?? 0) + 1;
      const failures_total = (states.get(svc.name)?.failures_total ?? 0) + 1;
      const cfg = svc.server_cert.acme;
      const base = cfg?.retry_delay ?? 30_000;
      const delay = Math.min(base * 2 ** (failures - 1), cfg?.max_retry_delay ?? 3_600_000);
      record(svc, { failures, failures_total, last_error: (err as Error).message });
      logger.error({ event: 'acme_renew_failed', service: svc.name, failures, retry_in_ms: delay, err: (err as Error).message }, `ACME renewal failed (attempt ${failures}); retrying in ${Math.round(delay / 1000)}s`);
      schedule(svc, onRenewed, new Date(clock().getTime() + delay));
    }
  }

  return {
    async prepare(config) {
      for (const svc of config.services.filter(isAcme)) {
        if (notAfterOf(svc.name) && notAfterOf(svc.name)!.getTime() > clock().getTime()) continue;
        // tls-alpn-01 before the listener exists: a standalone one on its address for the order.
        const standalone = svc.server_cert.acme?.challenge === 'tls-alpn-01' ? await startStandaloneAlpnResponder(svc.listen.address.host, svc.listen.address.port) : undefined;
        try {
          await obtain(svc, standalone);
        } catch (err) {
          throw new TlsmcpError('ERR_CERT_INVALID', `service ${svc.name}: no certificate from the ACME CA at ${svc.server_cert.acme?.directory_url ?? 'Let\u2019s Encrypt'}: ${(err as Error).message}`, {
            fix: svc.server_cert.acme?.challenge === 'tls-alpn-01'
              ? 'check server_cert.domains resolve to this host, that the CA reaches the service\u2019s listen port (443 for Let\u2019s Encrypt), and the directory_url'
              : 'check server_cert.domains resolve to this host, that server_cert.acme.http_port is reachable by the CA, and the directory_url',
            cause: err,
          });
        } finally {
          await standalone?.close();
        }
      }
      return rewrite(config);
    },
    rewrite,
    start(config, onRenewed, challenges) {
      challengesOf = challenges;
      for (const svc of config.services.filter(isAcme)) {
        if (!svc.server_cert.auto_renew) continue;
        const at = renewAt(svc);
        record(svc, { not_after: notAfterOf(svc.name)?.toISOString(), renew_at: at?.toISOString() });
        schedule(svc, onRenewed, at ?? clock());
      }
    },
    state: () => [...states.values()],
    close() {
      closed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
