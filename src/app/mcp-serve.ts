/**
 * `mcp serve` as a library: builds the CA, the audit log and (with services in
 * the config) the proxy supervisor, then serves MCP on stdio or on the remote
 * HTTPS listener. The CLI command only parses flags, calls this and waits for
 * a stop signal; tests call it directly.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../ca/index.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { createAuditLog, type AuditLog } from '../state/audit-log.js';
import { statePaths } from '../state/state-dir.js';
import type { CertificateAuthority } from '../ca/types.js';
import { createRevocationFeed, type RevocationFeed } from '../core/revocation.js';
import { followRevocationFile, type RevocationFileSource } from '../core/revocation-file.js';
import type { Supervisor } from '../supervisor/types.js';
import type { HostPort } from '../util/address.js';
import type { McpServerDeps } from '../mcp/deps.js';
import { startRemoteListener, type RemoteListener } from '../mcp/remote/listener.js';
import { createMcpServer } from './mcp-server.js';
import { createUnavailableProxy, findHeldListeners, unavailableStatus } from '../mcp/unavailable-proxy.js';

export type McpTransportKind = 'stdio' | 'http' | 'sse';

export interface SupervisorFactoryOptions {
  config: Config;
  ca: CertificateAuthority;
  logger: Logger;
  auditLog: AuditLog;
  stateDir: string;
  clock: () => Date;
  /** The process's one revocation feed and its file source. */
  revocations: { feed: RevocationFeed; source: RevocationFileSource };
}

export interface McpServeOptions {
  config: Config;
  stateDir: string;
  logger: Logger;
  transport: McpTransportKind;
  /** Overrides mcp.sse_address for the remote listener. */
  address?: HostPort | undefined;
  /** Remote Streamable HTTP sessions unused this long are closed (default 1 h). */
  sessionIdleMs?: number | undefined;
  stdin?: Readable;
  stdout?: Writable;
  clock?: () => Date;
  /** Builds the proxy supervisor when the config lists services. */
  createSupervisor?: ((options: SupervisorFactoryOptions) => Supervisor) | undefined;
  reloadConfig?: (() => Config) | undefined;
}

export interface McpServeHandle {
  transport: McpTransportKind;
  /** The remote listener, for http and sse. */
  remote: RemoteListener | undefined;
  supervisor: Supervisor | undefined;
  /** Resolves when the stdio client goes away (stdin ends); never for remote transports. */
  disconnected: Promise<void>;
  /** Stops MCP, drains the supervisor, flushes the audit log. Safe to call twice. */
  close(): Promise<void>;
}

export async function startMcpServe(options: McpServeOptions): Promise<McpServeHandle> {
  const { config, stateDir, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const auditLog = createAuditLog(statePaths(stateDir).auditLog, {
    enabled: config.logging.audit,
    onError: (err) => logger.error({ event: 'audit_write_failed', err: err.message }, 'cannot append to the audit log'),
  });
  const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config), clock, logger, audit: auditLog });
  if (!ca.exists()) {
    await ca.init();
    logger.info({ event: 'ca_initialized', stateDir }, 'created the local CA for the MCP server');
  }

  // One revocation feed for the process: the file (any process's `cert revoke`), the revoke tool,
  // the supervisor's workers and the remote listener's sessions all go through it. Fails closed.
  const feed = createRevocationFeed();
  let source: RevocationFileSource;
  try {
    source = followRevocationFile(feed, { path: statePaths(stateDir).revocations, pollMs: config.revocation_refresh, logger, clock });
  } catch (err) {
    await auditLog.close();
    throw err;
  }
  const revocations = { feed, source };

  let supervisor: Supervisor | undefined;
  if (config.services.length > 0) {
    if (options.createSupervisor) {
      supervisor = await startProxyOrStandIn(options.createSupervisor, { config, ca, logger, auditLog, stateDir, clock, revocations });
    } else {
      logger.warn({ event: 'mcp_no_supervisor' }, 'the config lists services but no proxy supervisor is available in this build: proxy tools will report it');
    }
  }

  const deps: McpServerDeps = { ca, config, stateDir, auditLog, logger, supervisor, clock, reloadConfig: options.reloadConfig, revocations: feed };
  let remote: RemoteListener | undefined;
  let stdioServer: ReturnType<typeof createMcpServer> | undefined;
  let disconnected: Promise<void> = new Promise<void>(() => undefined);

  try {
    if (options.transport === 'stdio') {
      const stdin = options.stdin ?? process.stdin;
      stdioServer = createMcpServer(deps);
      disconnected = new Promise<void>((resolve) => {
        stdin.once('end', resolve);
        stdin.once('close', resolve);
      });
      await stdioServer.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
      logger.info({ event: 'mcp_stdio_ready', services: config.services.length }, 'MCP server ready on stdio');
    } else {
      remote = await startRemoteListener({
        deps,
        createServer: createMcpServer,
        revocations: feed,
        address: options.address ?? config.mcp.sse_address,
        selfSecure: config.mcp.self_secure,
        sessionIdleMs: options.sessionIdleMs,
      });
    }
  } catch (err) {
    await supervisor?.close({ drainMs: 0 });
    source.close();
    await auditLog.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    transport: options.transport,
    remote,
    supervisor,
    disconnected,
    close() {
      closing ??= (async () => {
        await stdioServer?.close();
        await remote?.close();
        await supervisor?.close();
        source.close();
        await auditLog.close();
      })();
      return closing;
    },
  };
}

/**
 * Starts the proxy the config lists. When it cannot run here (a listener held
 * by another process, a worker that fails to start) the MCP server stays up:
 * the tools are served, and `tlsmcp_proxy_status` reports the services as failed.
 */
async function startProxyOrStandIn(create: (options: SupervisorFactoryOptions) => Supervisor, options: SupervisorFactoryOptions): Promise<Supervisor> {
  const { config, logger } = options;
  const held = await findHeldListeners(config.services);
  if (held.size > 0) {
    const why = [...held.values()].join('; ');
    logger.error({ event: 'proxy_unavailable', services: [...held.keys()] }, `the proxy does not run in this MCP server: ${why}`);
    const others = 'not started: another listener of this config is held by another process';
    return createUnavailableProxy(config.services.map((svc) => unavailableStatus(svc, held.get(svc.name) ?? others)), why);
  }
  const supervisor = create(options);
  try {
    await supervisor.start();
    return supervisor;
  } catch (err) {
    // start() has already stopped every worker; keep what it knew about each service.
    const why = (err as Error).message;
    logger.error({ event: 'proxy_unavailable', err: why }, `the proxy does not run in this MCP server: ${why}`);
    const statuses = supervisor.status().map((s) => (s.state === 'failed' ? s : { ...s, state: 'failed' as const, state_reason: s.state_reason ?? `not started: ${why}` }));
    return createUnavailableProxy(statuses, why);
  }
}
