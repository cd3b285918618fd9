/**
 * `tlsmcp run` with `mcp.transport: http|sse`: the remote MCP listener in the
 * same process as the proxy supervisor, sharing its CA, audit log and
 * supervisor, so agents manage the very proxies that run here.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { startRemoteListener, type RemoteListener } from '../mcp/remote/listener.js';
import { createMcpServer } from './mcp-server.js';
import type { Sidecar } from './run-sidecar.js';

export interface McpBesideSidecarOptions {
  sidecar: Sidecar;
  config: Config;
  stateDir: string;
  logger: Logger;
  reloadConfig?: (() => Config) | undefined;
}

/** Starts the remote MCP listener when the config asks for one; it closes before the sidecar drains. */
export async function startMcpBesideSidecar(options: McpBesideSidecarOptions): Promise<RemoteListener | undefined> {
  const { sidecar, config, logger } = options;
  if (config.mcp.transport === 'stdio') return undefined;
  const remote = await startRemoteListener({
    deps: {
      ca: sidecar.ca,
      config,
      stateDir: options.stateDir,
      auditLog: sidecar.auditLog,
      logger,
      supervisor: sidecar.supervisor,
      clock: () => new Date(),
      reloadConfig: options.reloadConfig,
      revocations: sidecar.revocations,
    },
    createServer: createMcpServer,
    revocations: sidecar.revocations,
    address: config.mcp.sse_address,
    selfSecure: config.mcp.self_secure,
  });
  sidecar.onClose(() => remote.close());
  logger.info(
    { event: 'mcp_listening', url: remote.url, self_secure: config.mcp.self_secure },
    `MCP: ${remote.url}/mcp (Streamable HTTP), ${remote.url}/sse (SSE)${config.mcp.self_secure ? ', client certificate from the local CA required' : ''}`,
  );
  return remote;
}
