/**
 * The process around a supervisor for `tlsmcp run`: the CA and audit log over
 * the state dir, the admin endpoint, the runtime file other commands read,
 * SIGHUP to reload and SIGTERM/SIGINT to drain. With the embedded demo config
 * it also starts the demo backend and issues a client certificate to curl with.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createProxyMetrics } from '../admin/metrics.js';
import type { AdminServer } from '../admin/server.js';
import type { AcmeServiceState } from '../acme/manager.js';
import { acmeFailures, registerAcmeMetrics } from '../acme/report.js';
import { createLazyCertificateAuthority } from '../ca/lazy.js';
import { ttlPolicyFromConfig } from '../ca/policy.js';
import type { CertificateAuthority } from '../ca/types.js';
import { DEMO_BACKEND_PORT } from '../config/defaults.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { createRevocationFeed, type RevocationFeed } from '../core/revocation.js';
import { followRevocationFile } from '../core/revocation-file.js';
import { createAuditLog, type AuditLog } from '../state/audit-log.js';
import { statePaths } from '../state/state-dir.js';
import { VERSION } from '../version.js';
import { startDemoBackend, type DemoBackend } from './demo-backend.js';
import { removeRuntimeFile, writeRuntimeFile } from '../supervisor/runtime-file.js';
import { acquireInstanceLock } from '../state/lock.js';
import { checkStatePermissions } from '../state/permissions.js';
import { TlsmcpError } from '../errors.js';
import { createSupervisor, type ProxySupervisor } from '../supervisor/supervisor.js';

export interface RunSidecarOptions {
  config: Config;
  /** Re-read on SIGHUP and `tlsmcp reload`; without it the loaded config is kept. */
  configFile?: string | undefined;
  /** How to re-read configFile (env overrides, ACME file paths); default loadConfigFile(configFile). */
  loadConfig?: (() => Config) | undefined;
  stateDir: string;
  logger: Logger;
  /** The embedded demo: init the CA, start the demo backend, issue a client cert. */
  demo?: boolean;
  /** Install SIGHUP/SIGTERM/SIGINT handlers (the CLI does; embedders may not). */
  signals?: boolean;
  /** ACME certificates' state (src/acme/manager.ts), for /health and the tlsmcp_acme_* metrics. */
  acmeState?: (() => AcmeServiceState[]) | undefined;
}

export interface Sidecar {
  supervisor: ProxySupervisor;
  /** The CA and audit log this sidecar runs on, for components embedded beside it (the MCP listener). */
  ca: CertificateAuthority;
  auditLog: AuditLog;
  /** The process's one revocation feed (shared with the MCP listener beside it). */
  revocations: RevocationFeed;
  /** Runs first on close (before draining), e.g. to stop an MCP listener that uses the supervisor. */
  onClose(hook: () => Promise<void>): void;
  admin: AdminServer | undefined;
  /** Resolves once a signal-triggered shutdown has finished. */
  done: Promise<void>;
  close(options?: { drainMs?: number }): Promise<void>;
}

export async function runSidecar(options: RunSidecarOptions): Promise<Sidecar> {
  // Atomic single-instance lock, held until the sidecar has closed (src/state/lock.ts).
  const instance = acquireInstanceLock(options.stateDir);
  try {
    checkStatePermissions(options.stateDir, options); // refuses a CA key others can read; warns about the rest
    const sidecar = await startSidecar(options);
    void sidecar.done.then(() => instance.release());
    return sidecar;
  } catch (err) {
    instance.release();
    throw err;
  }
}

async function startSidecar(options: RunSidecarOptions): Promise<Sidecar> {
  const { logger, stateDir } = options;
  const paths = statePaths(stateDir);
  // The Hub hook (hub: set): enrollment, the Hub's certificates and trust anchor, and the follower.
  // Loaded only with hub: set, so a plain sidecar does not pay for the Hub client at start-up.
  const hub = options.config.hub_settings ? await (await import('../hub/sidecar-hub.js')).prepareHubSidecar({ config: options.config, stateDir, logger }) : undefined;
  const withHub = (c: Config) => (hub ? hub.applyTo(c) : c);
  let config = withHub(options.config);
  const auditLog = createAuditLog(paths.auditLog, { enabled: config.logging.audit, onError: (err) => logger.error({ event: 'audit_write_failed', err: err.message }, 'cannot append to the audit log') });
  // The signing code loads at the first issuance: trusting the CA needs only its certificate.
  const ca = createLazyCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), logger, audit: auditLog });
  let demoBackend: DemoBackend | undefined;
  if (options.demo) {
    if (!ca.exists()) {
      await ca.init();
      logger.info({ event: 'ca_created', stateDir }, `created a local CA in ${stateDir}`);
    }
    demoBackend = await startDemoBackend('127.0.0.1', DEMO_BACKEND_PORT);
  }
  const metrics = createProxyMetrics({ version: VERSION });
  const feed = createRevocationFeed();
  let source;
  let supervisor: ProxySupervisor;
  const startedAt = new Date();
  try {
    // Fails closed: an unreadable revocation list stops the start (see src/core/revocation-file.ts).
    source = followRevocationFile(feed, { path: paths.revocations, pollMs: config.revocation_refresh, logger });
    supervisor = createSupervisor({ config, ca, logger, auditLog, stateDir, metrics: hub ? hub.tapMetrics(metrics) : metrics, revocations: { feed, source } });
    await supervisor.start();
  } catch (err) {
    source?.close();
    await demoBackend?.close();
    await auditLog.close();
    throw err;
  }
  const revocationSource = source;

  const reload = async (service?: string) => {
    if (options.configFile) {
      try {
        config = withHub(options.loadConfig ? options.loadConfig() : loadConfigFile(options.configFile));
      } catch (err) {
        logger.error({ event: 'reload_config_invalid', err: (err as Error).message }, 'the config file has problems; keeping the running config');
        return [{ service: service ?? '*', reloaded: false, applied: [], needs_restart: [], error: (err as Error).message }];
      }
      return supervisor.reload({ config, ...(service ? { service } : {}) });
    }
    return supervisor.reload({ ...(hub ? { config: withHub(config) } : {}), ...(service ? { service } : {}) });
  };
  hub?.start({ onRevoked: (serials) => void feed.add(serials), onPolicy: () => void reload() });

  let admin: AdminServer | undefined;
  const acmeState = options.acmeState;
  if (acmeState) registerAcmeMetrics(metrics.registry, acmeState);
  if (config.admin.enabled) {
    try {
      // hono and its Node adapter load only when the admin endpoint is on.
      const { startAdminServer } = await import('../admin/server.js');
      admin = await startAdminServer({
        host: config.admin.address.host,
        port: config.admin.address.port,
        status: () => supervisor.status(),
        reload,
        registry: metrics.registry,
        ...(acmeState ? { acmeFailures: () => acmeFailures(acmeState()) } : {}),
        version: VERSION,
        startedAt,
        logger,
        ...(hub ? { hub: () => hub.health() } : {}),
        score: {
          live: () => ({ revocation_loaded_at: supervisor.revocationsLoadedAt(), live_serials: supervisor.liveSerials() }),
          markProbes: (peer) => supervisor.markScoreProbes(peer),
          releaseProbes: (id) => supervisor.releaseScoreProbes(id),
        },
      });
    } catch (err) {
      await hub?.close();
      await supervisor.close({ drainMs: 0 });
      revocationSource.close();
      await demoBackend?.close();
      await auditLog.close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new TlsmcpError('ERR_PROXY', `admin.address ${config.admin.address.host}:${config.admin.address.port}: cannot listen (${code ?? (err as Error).message})`, {
        fix: code === 'EADDRINUSE' ? 'another process holds that port: change admin.address (port 0 picks a free one) or stop the other process' : 'check admin.address',
        cause: err,
      });
    }
  }
  writeRuntimeFile(stateDir, {
    pid: process.pid,
    started_at: startedAt.toISOString(),
    admin: admin?.address ?? null,
    config_file: options.configFile ?? null,
    services: supervisor.status().map((s) => ({ name: s.name, listen: s.listen })),
  });
  for (const s of supervisor.status()) {
    logger.info({ event: 'service_listening', service: s.name, listen: s.listen, backend: s.backend, state: s.state }, `${s.name}: ${s.listen} → ${s.backend}`);
  }

  let closing: Promise<void> | undefined;
  const closeHooks: (() => Promise<void>)[] = [];
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const close = (opts: { drainMs?: number } = {}) => {
    closing ??= (async () => {
      // Signal handlers stay installed until the drain is over: without them a
      // SIGHUP (or a second SIGTERM) would kill the process mid-drain.
      for (const hook of closeHooks) {
        await hook().catch((err: unknown) => logger.error({ event: 'close_hook_failed', err: (err as Error).message }, 'a component failed to close'));
      }
      await hub?.close();
      await admin?.close();
      await supervisor.close(opts);
      revocationSource.close();
      await demoBackend?.close();
      removeRuntimeFile(stateDir, process.pid);
      await auditLog.close();
      removeSignals();
      resolveDone();
    })();
    return closing;
  };

  const onHup = () => {
    if (closing) {
      logger.info({ event: 'sighup_ignored' }, 'SIGHUP while draining: ignored');
      return;
    }
    logger.info({ event: 'sighup' }, 'SIGHUP: reloading certificates and config');
    void reload().then((results) => logger.info({ event: 'reload_done', results }, 'reload done'));
  };
  const onStop = (signal: string) => () => {
    logger.info({ event: 'shutdown', signal }, `${signal}: draining connections, then exiting`);
    void close();
  };
  const onTerm = onStop('SIGTERM');
  const onInt = onStop('SIGINT');
  function removeSignals() {
    if (!options.signals) return;
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
  if (options.signals) {
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  }
  if (options.demo) await explainDemo(ca, supervisor, logger, stateDir);
  return { supervisor, ca, auditLog, revocations: feed, admin, done, close, onClose: (hook) => closeHooks.push(hook) };
}

/** Issues (once) a demo client certificate and logs how to curl through the proxy. */
async function explainDemo(ca: CertificateAuthority, supervisor: ProxySupervisor, logger: Logger, stateDir: string) {
  const dir = join(stateDir, 'demo-client');
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'ca.pem') };
  const existing = (await ca.list({ type: 'client' })).find((c) => c.cn === 'demo-client' && c.status !== 'revoked' && c.status !== 'expired' && c.files.cert === files.cert);
  if (!existing || !existsSync(files.key)) {
    await ca.issue({ type: 'client', service: 'demo', cn: 'demo-client', outDir: dir });
  }
  const listen = supervisor.status()[0]?.listen ?? '127.0.0.1:8443';
  logger.info(
    { event: 'demo_ready', client_cert: files.cert, client_key: files.key, ca: files.ca },
    `demo: curl --cacert ${files.ca} --cert ${files.cert} --key ${files.key} https://${listen}/`,
  );
}
