/**
 * `tlsmcp run` with `hub:` set: enrolls on first start when only
 * hub.auth_token is given, points every service at the Hub's material (its
 * server certificate, the pinned Hub CA added to trusted_roots, cached
 * policies as mtls.allowed_services), seeds the local revocation list from the
 * cache so revoked serials are refused from the first handshake even with the
 * Hub down, and runs the follower.
 *
 * The hook into the supervisor is deliberately narrow: `onRevoked(serials)`
 * (run-sidecar passes the supervisor's revoke()) and `onPolicy()` (a reload).
 * Each revocation is also appended to the state dir's revocations.json, the
 * list the supervisor reads at start and watches.
 */
import { Gauge, type Registry } from 'prom-client';
import type { HubHealth } from '../admin/server.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { appendRevocation, readRevocations, writeRevocations } from '../ca/inventory.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withStateLock } from '../state/lock.js';
import { statePaths } from '../state/state-dir.js';
import type { SupervisorMetrics } from '../supervisor/supervisor.js';
import { defaultServerNames } from '../supervisor/tls-material.js';
import { enrollInstance } from './enroll.js';
import { createHubFollower, type HubFollower } from './follower.js';
import { startCertRenewal } from './cert-renewal.js';
import { readEnrollment, readFeedCache, readPolicies, sidecarHubPaths } from './sidecar-files.js';
import type { Revocation } from './types.js';

export interface HubSidecarHooks {
  /** Cuts live connections of these serials and refuses new handshakes. */
  onRevoked(serials: string[]): void;
  /** A policy changed: re-derive the config (applyTo) and reload. */
  onPolicy(): void;
}

export interface HubSidecar {
  /** The config with the Hub's certificates, trust anchor and cached policies applied. */
  applyTo(config: Config): Config;
  start(hooks: HubSidecarHooks): void;
  /**
   * Wraps the supervisor's metrics so connection events also go to the Hub, in
   * batches, and registers the Hub gauges in its registry when it has one.
   */
  tapMetrics(metrics: SupervisorMetrics & { registry?: Registry }): SupervisorMetrics;
  follower: HubFollower;
  /** For /health: whether the Hub stream is followed now, and from where. */
  health(): HubHealth;
  close(): Promise<void>;
}

/** Appends revocations to the state dir's revocations.json (the list the supervisor reads at start and watches). */
export async function recordLocalRevocations(stateDir: string, revocations: Revocation[]): Promise<void> {
  if (revocations.length === 0) return;
  const path = statePaths(stateDir).revocations;
  await withStateLock(stateDir, () => {
    let file = readRevocations(path);
    const known = new Set(file.revoked.map((r) => r.serial));
    for (const r of revocations) if (!known.has(r.serial)) file = appendRevocation(file, { serial: r.serial, id: r.id, at: r.revoked_at, reason: r.reason });
    if (file.revoked.length > known.size) writeRevocations(path, file);
  });
}

function serverNamesOf(config: Config): { dns: string[]; ip: string[] } {
  const dns = new Set<string>();
  const ip = new Set<string>();
  for (const svc of config.services.filter((s) => s.mode === 'server')) {
    const names = defaultServerNames(svc);
    names.dns.forEach((n) => dns.add(n));
    names.ip.forEach((n) => ip.add(n));
  }
  return { dns: dns.size ? [...dns] : ['localhost'], ip: ip.size ? [...ip] : ['127.0.0.1'] };
}

export async function prepareHubSidecar(options: { config: Config; stateDir: string; logger: Logger }): Promise<HubSidecar | undefined> {
  const settings = options.config.hub_settings;
  if (!settings) return undefined;
  const { stateDir, logger } = options;
  const paths = sidecarHubPaths(stateDir);
  if (!readEnrollment(paths)) {
    if (!settings.auth_token) {
      throw new TlsmcpError('ERR_HUB_NOT_INITIALIZED', `hub.url is set but ${stateDir} is not enrolled with the Hub`, {
        fix: 'run `tlsmcp init --hub-url URL --service-id ID --token TOKEN`, or set hub.auth_token to a token from `tlsmcp hub token create`',
      });
    }
    await enrollInstance({ hubUrl: settings.urls[0]!, token: settings.auth_token, serviceId: options.config.service_id, stateDir, serverNames: serverNamesOf(options.config), logger });
  }
  const enrollment = readEnrollment(paths)!;
  await recordLocalRevocations(stateDir, readFeedCache(paths).revoked);
  let hooks: HubSidecarHooks | undefined;
  const follower = createHubFollower({
    urls: settings.urls,
    stateDir,
    serviceIds: [enrollment.service_id],
    syncIntervalMs: settings.sync_interval,
    logger,
    onRevocations: (revocations) => {
      const serials = revocations.map((r) => r.serial);
      logger.warn({ event: 'hub_revocations', serials }, `the Hub revoked ${serials.length} certificate(s)`);
      hooks?.onRevoked(serials);
      void recordLocalRevocations(stateDir, revocations).catch((err: Error) =>
        logger.error({ event: 'hub_revocations_unsaved', err: err.message }, 'cannot add Hub revocations to revocations.json (they are in hub/feed.json)'),
      );
    },
    onPolicy: (record) => {
      logger.info({ event: 'hub_policy', service_id: record.service_id, version: record.version }, 'policy changed on the Hub; reloading');
      hooks?.onPolicy();
    },
  });

  const applyService = (svc: ServiceConfig): ServiceConfig => {
    const next: ServiceConfig = { ...svc, trusted_roots: svc.trusted_roots.includes(paths.ca) ? svc.trusted_roots : [...svc.trusted_roots, paths.ca] };
    if (svc.mode === 'server' && !svc.server_cert.cert_file) next.server_cert = { ...svc.server_cert, cert_file: paths.serverCert, key_file: paths.key };
    if (svc.mode === 'client' && !svc.backend.tls?.cert_file) next.backend = { ...svc.backend, tls: { ...svc.backend.tls, cert_file: paths.instanceCert, key_file: paths.key } };
    const policy = readPolicies(paths)[svc.name] ?? (options.config.services.length === 1 ? readPolicies(paths)[enrollment.service_id] : undefined);
    if (policy && policy.policy.allowed_services.length > 0) next.mtls = { ...svc.mtls, allowed_services: policy.policy.allowed_services };
    return next;
  };

  let renewal: { close(): void } | undefined;
  return {
    applyTo: (config) => ({ ...config, services: config.services.map(applyService) }),
    start(h) {
      hooks = h;
      follower.start();
      // The certificates are the Hub's to renew; the largest renew_before of the services (the earliest renewal) wins.
      const renewBeforeMs = Math.max(options.config.server_cert.renew_before, ...options.config.services.map((s) => s.server_cert.renew_before));
      renewal = startCertRenewal({ paths, follower, renewBeforeMs, retryMs: settings.sync_interval, logger });
    },
    tapMetrics(metrics) {
      registerHubGauges(metrics.registry, follower);
      return {
        ...metrics,
        connections(service, events) {
          metrics.connections(service, events);
          follower.report(
            events.map((e) => ({
              kind: 'connection' as const,
              time: e.time,
              service,
              result: e.result,
              ...(e.serial ? { serial: e.serial } : {}),
              ...(e.peer_cn ? { peer_cn: e.peer_cn } : {}),
              detail: { reason: e.reason, bytes_in: e.bytes_in, bytes_out: e.bytes_out, duration_ms: e.duration_ms, handshake_s: e.handshake_s },
            })),
          );
        },
      };
    },
    follower,
    health() {
      const s = follower.status();
      return { reachable: s.connected, url: s.url ?? settings.urls[0]!, last_sync: s.last_sync, cursor: s.cursor, last_error: s.last_error };
    },
    close: async () => {
      renewal?.close();
      await follower.close();
    },
  };
}

/** tlsmcp_hub_sync_latency_seconds (the seed's tlsmcp_hub_sync_latency_ms, in seconds) and tlsmcp_hub_connected, read at scrape time. */
function registerHubGauges(registry: Registry | undefined, follower: HubFollower): void {
  if (!registry) return;
  new Gauge({
    name: 'tlsmcp_hub_sync_latency_seconds',
    help: 'Delay from the last change on the Hub (revocation or policy) to this sidecar applying it.',
    registers: [registry],
    collect() {
      const ms = follower.status().sync_latency_ms;
      if (ms !== null) this.set(ms / 1000);
    },
  });
  new Gauge({
    name: 'tlsmcp_hub_connected',
    help: '1 while the sidecar follows the Hub stream, 0 while it serves on cached state.',
    registers: [registry],
    collect() {
      this.set(follower.status().connected ? 1 : 0);
    },
  });
}
