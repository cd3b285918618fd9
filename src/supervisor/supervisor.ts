/**
 * createSupervisor: one worker thread per TCP service, started, reloaded,
 * told about revocations and drained from here. A library: no signals, no
 * files of its own, no HTTP — `run-sidecar.ts` adds those for `tlsmcp run`,
 * and the MCP server embeds this directly.
 */
import type { CertificateAuthority } from '../ca/types.js';
import { normalizeSerial } from '../ca/serial.js';
import { createRevocationFeed, type RevocationFeed } from '../core/revocation.js';
import { followRevocationFile, type RevocationFileSource } from '../core/revocation-file.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { formatHostPort } from '../util/address.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../state/audit-log.js';
import { statePaths } from '../state/state-dir.js';
import type { ConnectionEvent, WorkerSpec } from '../protocol/messages.js';
import { autoRenewAt } from '../renew/auto-renew.js';
import { createScoreProbeMarks } from '../score/probe-marks.js';
import { watchFiles, type FileWatcher } from './file-watcher.js';
import { resolveMaterial, type ResolvedMaterial } from './tls-material.js';
import type { ReloadResult, RevokeResult, ServiceStatus, Supervisor } from './types.js';
import { createWorkerHandle, type WorkerHandle } from './worker-handle.js';
import { resolveWorkerEntry, type WorkerEntry } from './worker-entry.js';
import { createWorkerGroup, workersPerListener } from './worker-group.js';
import { dataPathOf, restartNeededFor, workerSpecOf } from './worker-spec.js';

/** What the supervisor reports to metrics; the admin endpoint implements it with prom-client. */
export interface SupervisorMetrics {
  connections(service: string, events: ConnectionEvent[]): void;
  active(service: string, count: number): void;
  certificate(service: string, notAfter: Date): void;
  revocations(count: number): void;
  /** An MCP front's pinning and rate-limit counters, cumulative for the service (keys from protocol/mcp-counters.ts). */
  mcp?(service: string, counts: Readonly<Record<string, number>>): void;
}

export interface SupervisorOptions {
  config: Config;
  ca: CertificateAuthority;
  logger: Logger;
  auditLog?: AuditLog;
  stateDir: string;
  clock?: () => Date;
  metrics?: SupervisorMetrics;
  /** Lets tests ask a worker to crash (`crashWorker`). Off in production. */
  testHooks?: boolean;
  /** Picks the worker script by protocol; tests and the MCP server may override. */
  workerEntry?: (protocol: string) => WorkerEntry | undefined;
  /** Workers per listener; default one per core where the runtime can share a port (reusePort), else one. */
  workersPerListener?: number;
  /** First restart delay after a crash (doubles, capped at 5 s). */
  restartBackoffMs?: number;
  /**
   * The process's revocation feed and the file source that fills it (composition
   * builds both and shares them with the remote MCP listener). Without them the
   * supervisor follows the state dir's revocations.json itself.
   */
  revocations?: { feed: RevocationFeed; source: Pick<RevocationFileSource, 'loadedAt'> } | undefined;
}

export interface ProxySupervisor extends Supervisor {
  /** The bound address of a service (its real port when the config said 0). */
  address(service: string): { host: string; port: number } | undefined;
  /** Test hook: makes the service's worker throw, to exercise restart. */
  crashWorker(service: string): void;
  /** ACME TLS-ALPN-01: the service's workers answer `acme-tls/1` for `domain` (or stop, without pems); resolves once all have it. */
  acmeChallenge(service: string, domain: string, pems: { certPem: string; keyPem: string } | undefined): Promise<void>;
  revocationsLoadedAt(): string | null;
  liveSerials(): string[];
  markScoreProbes(peer: string): number;
  releaseScoreProbes(id: number): boolean;
}

interface Managed {
  svc: ServiceConfig;
  handle: WorkerHandle | undefined;
  resolved: ResolvedMaterial | undefined;
  skipped?: string;
  /** Worker threads behind the listener; each admits up to limits.max_connections. */
  workers?: number;
  fileWatcher?: FileWatcher;
  renewTimer?: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function createSupervisor(options: SupervisorOptions): ProxySupervisor {
  const { ca, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const pickEntry = options.workerEntry ?? ((protocol: string) => resolveWorkerEntry(protocol));
  const auditPath = statePaths(options.stateDir).auditLog;
  let config = options.config;
  const services = new Map<string, Managed>();
  const feed = options.revocations?.feed ?? createRevocationFeed();
  let ownSource: RevocationFileSource | undefined;
  let unsubscribe: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const probeMarks = createScoreProbeMarks({ clock });

  function record(service: string, all: ConnectionEvent[]) {
    // The score's own probes are neither rejected clients (metrics) nor audit events.
    const events = all.filter((e) => !probeMarks.isProbe(e));
    if (events.length === 0) return;
    options.metrics?.connections(service, events);
    if (!options.auditLog || !config.logging.audit) return;
    for (const e of events) options.auditLog.append({ kind: 'connection', service, ...e });
  }

  function watchCertFiles(m: Managed) {
    m.fileWatcher?.close();
    const files = m.resolved?.files ?? [];
    if (files.length === 0) return;
    m.fileWatcher = watchFiles(files, () => {
      logger.info({ event: 'cert_files_changed', service: m.svc.name }, 'certificate files changed; reloading');
      void reloadOne(m, m.svc).catch(() => undefined);
    });
  }

  function scheduleRenewal(m: Managed) {
    clearTimeout(m.renewTimer);
    // Local-CA certificates only; server_cert.auto_renew (server mode) or client_cert.auto_renew
    // (client mode) false leaves renewal to `tlsmcp renew --watch`.
    if (m.resolved?.source !== 'ca') return;
    const at = autoRenewAt(m.svc, config.client_cert, m.resolved.material.certPem);
    if (at === undefined) return;
    const wait = Math.max(0, Math.min(at - clock().getTime(), MAX_TIMER_MS));
    m.renewTimer = setTimeout(() => {
      logger.info({ event: 'cert_renew', service: m.svc.name }, 'renewing the CA-issued certificate');
      void resolveMaterial(m.svc, ca, clock(), { forceNew: true })
        .then((resolved) => applyMaterial(m, m.svc, resolved)) // schedules the next renewal
        .catch((err: Error) => {
          logger.error({ event: 'cert_renew_failed', service: m.svc.name, err: err.message }, 'renewal failed; retrying in a minute');
          if (!closing) m.renewTimer = setTimeout(() => scheduleRenewal(m), 60_000).unref();
        });
    }, wait);
    m.renewTimer.unref();
  }

  /**
   * A reload keeps the listener that runs (native or js) and its socket sharing:
   * a change of either waits for a restart (reloadOne says so). A native service
   * whose new settings need js (data_path: auto) keeps running native without
   * them until then, so a crashed worker also comes back native.
   */
  function reloadSpec(svc: ServiceConfig, running: WorkerSpec): WorkerSpec {
    const { data_path: wanted, ...next } = { ...workerSpecOf(svc, config, auditPath), reuse_port: running.reuse_port };
    if (running.data_path !== 'native') return next;
    if (wanted === 'native') return { ...next, data_path: 'native' };
    const { proxy_protocol: _p, alpn: _a, http: _h, mcp: _m, tls_profile, ...kept } = next;
    return { ...kept, mode: running.mode, ...(tls_profile && tls_profile !== 'fips' ? { tls_profile } : {}), mtls: { ...next.mtls, mode: 'required' }, data_path: 'native' };
  }

  async function applyMaterial(m: Managed, svc: ServiceConfig, resolved: ResolvedMaterial): Promise<{ applied: string[]; error?: string }> {
    m.resolved = resolved;
    m.svc = svc;
    options.metrics?.certificate(svc.name, resolved.notAfter);
    const result = m.handle ? await m.handle.reload(reloadSpec(svc, m.handle.spec), resolved.material) : { applied: [] };
    watchCertFiles(m);
    scheduleRenewal(m);
    return result;
  }

  async function startOne(svc: ServiceConfig): Promise<void> {
    const m: Managed = { svc, handle: undefined, resolved: undefined };
    services.set(svc.name, m);
    const entry = pickEntry(svc.protocol);
    if (!entry) {
      m.skipped = `protocol "${svc.protocol}" has no worker yet: this service is served by the MCP front (tlsmcp mcp serve), not by tlsmcp run`;
      logger.warn({ event: 'service_skipped', service: svc.name, protocol: svc.protocol }, m.skipped);
      return;
    }
    m.resolved = await resolveMaterial(svc, ca, clock());
    options.metrics?.certificate(svc.name, m.resolved.notAfter);
    // An MCP front keeps its sessions in memory: one worker per MCP service, always.
    // limits.workers caps a TCP listener's threads (a one-service sidecar runs one); unset: one per core.
    const count = svc.protocol === 'mcp' ? 1 : Math.min(svc.limits.workers ?? Infinity, options.workersPerListener ?? workersPerListener());
    m.workers = count;
    const spec = { ...workerSpecOf(svc, config, auditPath), reuse_port: count > 1 };
    if (svc.protocol === 'tcp' && svc.mode === 'server') {
      const { path, why } = dataPathOf(svc, spec);
      logger.info({ event: 'data_path', service: svc.name, data_path: path, ...(why ? { why } : {}) }, `service "${svc.name}" on the ${path} data path${why ? ` (${why})` : ''}`);
    }
    const members = Array.from({ length: count }, () => createWorkerHandle({
      spec,
      material: () => m.resolved!.material,
      revoked: () => feed.list(),
      entry,
      logger,
      testHooks: options.testHooks ?? false,
      backoffMs: options.restartBackoffMs ?? 100,
      onEvents: (events) => {
        if (m.handle) {
          const stats = m.handle.stats;
          options.metrics?.active(svc.name, stats.active);
          if (stats.mcp) options.metrics?.mcp?.(svc.name, stats.mcp);
        }
        record(svc.name, events);
      },
    }));
    m.handle = createWorkerGroup(members);
    await m.handle.start();
    watchCertFiles(m);
    scheduleRenewal(m);
  }

  async function reloadOne(m: Managed, next: ServiceConfig): Promise<ReloadResult> {
    const needs_restart = restartNeededFor(m.svc, next);
    // data_path: auto can resolve differently after the change (e.g. backend.proxy_protocol added: js).
    if (m.handle && (m.handle.spec.data_path ?? 'js') !== (workerSpecOf(next, config, auditPath).data_path ?? 'js') && !needs_restart.includes('data_path')) needs_restart.push('data_path');
    try {
      const resolved = await resolveMaterial(next, ca, clock());
      const { applied, error } = await applyMaterial(m, next, resolved);
      const result: ReloadResult = { service: next.name, reloaded: !error, applied, needs_restart, ...(error ? { error } : {}) };
      logger.info({ event: 'reload', ...result }, `reloaded "${next.name}"`);
      options.auditLog?.append({ time: clock().toISOString(), kind: 'reload', service: next.name, result: error ? 'error' : 'ok', applied, needs_restart });
      return result;
    } catch (err) {
      const message = (err as Error).message;
      logger.error({ event: 'reload_failed', service: next.name, err: message }, 'reload failed; the old certificate stays in use');
      return { service: next.name, reloaded: false, applied: [], needs_restart, error: message };
    }
  }

  /** Feed subscriber: tells every worker; each cuts its live connections (or MCP sessions) of these serials. */
  async function pushToWorkers(serials: string[]): Promise<{ connections: number }> {
    options.metrics?.revocations(serials.length);
    let total = 0;
    for (const serial of serials) {
      const counts = await Promise.all([...services.values()].map((m) => m.handle?.revoke([serial]) ?? 0));
      const closed = counts.reduce((a, b) => a + b, 0);
      total += closed;
      logger.warn({ event: 'revocation_applied', serial, connections_closed: closed }, `certificate ${serial} revoked: ${closed} live connection(s) cut`);
      options.auditLog?.append({ time: clock().toISOString(), kind: 'revocation', service: '*', serial, result: 'applied', connections_closed: closed });
    }
    return { connections: total };
  }

  async function revokeThroughFeed(serials: string[]): Promise<RevokeResult[]> {
    const results: RevokeResult[] = [];
    for (const serial of serials.map(normalizeSerial)) {
      const { cut } = await feed.add([serial]);
      results.push({ serial, connections_closed: cut.connections ?? 0 });
    }
    return results;
  }

  const supervisor: ProxySupervisor = {
    async start() {
      if (!options.revocations) {
        // Fails closed: an unreadable list stops the start (see src/core/revocation-file.ts).
        ownSource = followRevocationFile(feed, { path: statePaths(options.stateDir).revocations, pollMs: config.revocation_refresh, logger, clock });
      }
      unsubscribe = feed.subscribe(pushToWorkers);
      const outcomes = await Promise.allSettled(config.services.map((svc) => startOne(svc)));
      outcomes.forEach((o, i) => {
        if (o.status === 'rejected') logger.error({ event: 'service_failed', service: config.services[i]?.name, err: (o.reason as Error).message }, 'service failed to start');
      });
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) {
        await supervisor.close({ drainMs: 0 });
        throw failed.reason;
      }
    },

    revocationsLoadedAt: () => (options.revocations?.source ?? ownSource)?.loadedAt() ?? null,

    liveSerials: () => [...new Set([...services.values()].flatMap((m) => m.handle?.stats.live_serials ?? []))],

    markScoreProbes: (peer) => probeMarks.mark(peer),

    releaseScoreProbes: (id) => probeMarks.release(id),

    status(): ServiceStatus[] {
      return [...services.values()].map(({ svc, handle, resolved, skipped, workers }) => {
        const stats = handle?.stats;
        const listen = handle?.address ?? svc.listen.address;
        const days = resolved ? Math.floor((resolved.notAfter.getTime() - clock().getTime()) / 86_400_000) : undefined;
        return {
          name: svc.name,
          mode: svc.mode,
          protocol: svc.protocol,
          listen: formatHostPort(listen),
          backend: svc.backend.address ? formatHostPort(svc.backend.address) : (svc.backend.url ?? svc.backend.command?.join(' ') ?? ''),
          ...(handle && svc.protocol === 'tcp' ? { data_path: handle.spec.data_path ?? 'js' } : {}),
          state: handle?.state ?? 'stopped',
          ...((skipped ?? handle?.stateReason) ? { state_reason: skipped ?? handle?.stateReason } : {}),
          worker: {
            ...(handle?.threadId !== undefined ? { thread_id: handle.threadId } : {}),
            restarts: handle?.restarts ?? 0,
            ...(handle?.startedAt ? { started_at: handle.startedAt.toISOString() } : {}),
          },
          connections: {
            active: stats?.active ?? 0,
            max: svc.limits.max_connections * (workers ?? 1),
            accepted: stats?.accepted ?? 0,
            rejected: stats?.rejected ?? 0,
            rejected_by_reason: stats?.rejected_by_reason ?? {},
          },
          bytes: { in: stats?.bytes_in ?? 0, out: stats?.bytes_out ?? 0 },
          certificate: {
            source: resolved?.source ?? (svc.server_cert.cert_file ? 'config' : 'ca'),
            ...(resolved ? { serial: resolved.serial, not_after: resolved.notAfter.toISOString(), days_left: days } : {}),
          },
        };
      });
    },

    async reload(opts = {}) {
      const next = opts.config ?? config;
      const results: ReloadResult[] = [];
      if (opts.config) {
        config = opts.config;
        const wanted = new Set(next.services.map((s) => s.name));
        for (const [name, m] of [...services]) {
          if (wanted.has(name) || (opts.service && opts.service !== name)) continue;
          await stopOne(m, 0);
          services.delete(name);
          results.push({ service: name, reloaded: true, applied: ['removed'], needs_restart: [] });
        }
      }
      for (const svc of next.services) {
        if (opts.service && opts.service !== svc.name) continue;
        const m = services.get(svc.name);
        if (!m) {
          try {
            await startOne(svc);
            results.push({ service: svc.name, reloaded: true, applied: ['added'], needs_restart: [] });
          } catch (err) {
            results.push({ service: svc.name, reloaded: false, applied: [], needs_restart: [], error: (err as Error).message });
          }
          continue;
        }
        if (m.skipped) continue;
        results.push(await reloadOne(m, svc));
      }
      if (opts.service && results.length === 0) {
        results.push({ service: opts.service, reloaded: false, applied: [], needs_restart: [], error: `no service named "${opts.service}"` });
      }
      return results;
    },

    revoke: (serials) => revokeThroughFeed(serials),

    address: (service) => services.get(service)?.handle?.address,

    async acmeChallenge(service, domain, pems) {
      const handle = services.get(service)?.handle;
      if (!handle?.acmeChallenge) throw new Error(`service ${service} is not running: no listener to answer tls-alpn-01 on`);
      await handle.acmeChallenge(domain, pems);
    },

    crashWorker(service) {
      services.get(service)?.handle?.post({ type: 'crash' });
    },

    close(opts = {}) {
      closing ??= (async () => {
        unsubscribe?.();
        ownSource?.close();
        await Promise.all([...services.values()].map((m) => stopOne(m, opts.drainMs ?? m.svc.limits.drain_timeout)));
      })();
      return closing;
    },
  };

  async function stopOne(m: Managed, drainMs: number) {
    clearTimeout(m.renewTimer);
    m.renewTimer = undefined;
    m.fileWatcher?.close();
    await m.handle?.stop(drainMs);
  }

  return supervisor;
}
