/**
 * When the MCP server cannot run the proxy its config lists (another process,
 * often a second tlsmcp-mcp on the same config, holds a listener; or a worker
 * failed to start), it keeps serving its tools and stands this in for the
 * supervisor: `tlsmcp_proxy_status` reports every service as failed with the
 * reason, and calls that need live workers say why they cannot act.
 *
 * Listeners bind with reusePort where several worker threads share a port, and
 * the kernel would let a second process of the same user join them and take
 * half the connections. So the port is probed first with an exclusive bind.
 */
import { createServer } from 'node:net';
import type { ServiceConfig } from '../config/schema.js';
import { TlsmcpError } from '../errors.js';
import type { ServiceStatus, Supervisor } from '../supervisor/types.js';
import { formatHostPort } from '../util/address.js';

/** Services whose fixed listen port another socket holds, with the reason to report. */
export async function findHeldListeners(services: readonly ServiceConfig[]): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  await Promise.all(
    services
      .filter((svc) => svc.listen.address.port !== 0)
      .map(async (svc) => {
        const code = await probeBind(svc.listen.address.host, svc.listen.address.port);
        if (code === 'EADDRINUSE') {
          held.set(svc.name, `${formatHostPort(svc.listen.address)} is held by another process (EADDRINUSE), perhaps another tlsmcp serving this config: this process does not run the proxy`);
        }
      }),
  );
  return held;
}

/** Binds and closes at once, without reusePort; resolves with the error code, if any. */
function probeBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'ERROR'));
    server.listen({ host, port }, () => server.close(() => resolve(undefined)));
  });
}

/** What status() shows for a service this process does not run. */
export function unavailableStatus(svc: ServiceConfig, reason: string): ServiceStatus {
  return {
    name: svc.name,
    mode: svc.mode,
    protocol: svc.protocol,
    listen: formatHostPort(svc.listen.address),
    backend: svc.backend.address ? formatHostPort(svc.backend.address) : (svc.backend.url ?? svc.backend.command?.join(' ') ?? ''),
    state: 'failed',
    state_reason: reason,
    worker: { restarts: 0 },
    connections: { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {} },
    bytes: { in: 0, out: 0 },
    certificate: { source: svc.server_cert.cert_file ? 'config' : 'ca' },
  };
}

/** A Supervisor with no workers: a fixed status, reload refused, revocations left to whoever runs the listeners. */
export function createUnavailableProxy(statuses: ServiceStatus[], why: string): Supervisor {
  return {
    start: () => Promise.resolve(),
    status: () => statuses.map((s) => structuredClone(s)),
    reload: () =>
      Promise.reject(
        new TlsmcpError('ERR_NOT_RUNNING', `the proxy does not run in this MCP server: ${why}`, {
          fix: 'stop the other process that holds the listeners (or give this config other ports), then restart this MCP server',
        }),
      ),
    revocationsLoadedAt: () => null,
    // Nothing to cut here: the revocation list is on disk, and a tlsmcp that runs the listeners applies it.
    revoke: (serials) => Promise.resolve(serials.map((serial) => ({ serial, connections_closed: 0 }))),
    close: () => Promise.resolve(),
  };
}
