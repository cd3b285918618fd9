/**
 * Client mode: a local plain-TCP listener whose connections leave as mTLS to a
 * remote tlsmcp (or any mTLS server), presenting a client certificate and
 * verifying the server's name. Sessions are resumed to keep reconnects cheap.
 */
import { isIP, createServer, type Socket } from 'node:net';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { clientContextOptions } from '../core/tls-options.js';
import type { ConnectionEvent, TlsMaterial, WorkerSpec } from '../protocol/messages.js';
import { forward } from './forward.js';
import { recordConnectionEnd } from './connection-end.js';
import { createStatsCounter } from './stats.js';
import { bindListener, createLiveSet } from './listener-lifecycle.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from './types.js';

function clientContext(spec: WorkerSpec, material: TlsMaterial): SecureContext {
  return createSecureContext(clientContextOptions(spec, material));
}

export function createClientProxy(options: ProxyServiceOptions): ProxyService {
  const { logger } = options;
  let spec = options.spec;
  let context = clientContext(spec, options.material);
  let session: Buffer | undefined;
  const stats = createStatsCounter();
  const live = createLiveSet<Socket>();
  let backendReady = true;
  let draining = false;

  const emit = (event: Omit<ConnectionEvent, 'time'>) => options.onEvent({ time: new Date().toISOString(), ...event });

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (local) => {
    const peer = local.remoteAddress;
    if (draining || !backendReady) {
      const reason = draining ? 'draining' : 'backend_unavailable';
      stats.rejected(reason);
      emit({ result: 'rejected', reason, peer, bytes_in: 0, bytes_out: 0, duration_ms: 0 });
      return void local.destroy();
    }
    const began = performance.now();
    live.add(local);
    stats.opened();
    local.on('error', () => undefined);
    const host = spec.backend.host;
    // SNI takes names only; without one Node verifies the certificate against `host` (IP SANs included).
    const servername = spec.server_name ?? (isIP(host) ? undefined : host);
    const remote: TLSSocket = connect({
      host,
      port: spec.backend.port,
      secureContext: context,
      ...(servername ? { servername } : {}),
      ...(session ? { session } : {}),
      // Not in the typings, but tls.connect honours them: half-close end to end, no Nagle delay.
      ...({ allowHalfOpen: true, noDelay: true } as object),
    });
    remote.on('session', (s: Buffer) => {
      session = s;
    });
    let secured = false;
    let failure: string | undefined;
    const dialTimer = setTimeout(() => {
      failure = `remote ${host}:${spec.backend.port} did not complete TLS within limits.dial_timeout`;
      remote.destroy();
    }, spec.limits.dial_timeout);
    remote.once('secureConnect', () => {
      secured = true;
      clearTimeout(dialTimer);
    });
    remote.on('error', (err: NodeJS.ErrnoException) => {
      if (!secured) failure ??= `remote ${host}:${spec.backend.port}: ${err.code ?? err.message}`;
    });
    forward(local, remote, { idleTimeoutMs: spec.limits.idle_timeout });
    local.once('close', () => {
      clearTimeout(dialTimer);
      live.delete(local);
      recordConnectionEnd(stats, logger, spec.name, emit, {
        peer,
        bytesIn: local.bytesRead,
        bytesOut: local.bytesWritten,
        began,
        failure: secured ? undefined : failure,
        failureReason: 'remote_tls_failed',
      });
    });
  });
  server.maxConnections = spec.limits.max_connections;

  return {
    listen: () => bindListener(server, spec),
    reload(next, material) {
      const changes = diffSpecs(spec, next);
      context = clientContext(next, material);
      session = undefined; // a new identity should not resume the old one's session
      server.maxConnections = next.limits.max_connections;
      spec = { ...next, listen: spec.listen };
      return ['certificate', ...changes.applied];
    },
    setBackendReady(ready) {
      backendReady = ready;
    },
    stats: () => stats.snapshot(),
    drain(deadlineMs) {
      draining = true;
      return live.drain(server, deadlineMs, (socket) => socket.destroy());
    },
  };
}

