/**
 * What the MCP server is built from. Everything is passed in (CA, config,
 * audit log, clock, an optional in-process supervisor) so tests can drive the
 * same server over an in-memory transport with a real CA in a temp dir.
 */
import type { CertificateAuthority } from '../ca/types.js';
import type { Config } from '../config/schema.js';
import type { RevocationFeed } from '../core/revocation.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../state/audit-log.js';
import type { Supervisor } from '../supervisor/types.js';

/** The remote listener's hook for cutting live MCP sessions of revoked callers. */
export interface SessionCutter {
  /** Refuses these serials from now on and closes every remote MCP session (and TLS socket) presenting one; resolves with how many sessions. */
  cutSerials(serials: string[]): Promise<number>;
}

export interface McpServerDeps {
  ca: CertificateAuthority;
  config: Config;
  stateDir: string;
  auditLog: AuditLog;
  logger: Logger;
  /** The proxy supervisor when it runs in this process (`mcp serve` with services). */
  supervisor?: Supervisor | undefined;
  clock: () => Date;
  /** The process's revocation feed: revoking through it cuts live connections and sessions of every listener here. */
  revocations?: RevocationFeed | undefined;
  /** Set when a remote listener runs in this process. */
  sessions?: SessionCutter | undefined;
  /** Re-reads the config file, for `tlsmcp_proxy_reload`; absent when the config came from no file. */
  reloadConfig?: (() => Config) | undefined;
}
