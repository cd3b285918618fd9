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
import { createIdleSweep } from './idle-sweep.js';
import { negotiatedAlpn } from './alpn.js';
import { classifyUpstreamError, isRefusedCertificate, refusedAfterHandshake, type UpstreamFailureReason } from './upstream-failure.js';
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
  const idle = createIdleSweep();
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
    const target = `${host}:${spec.backend.port}`;
    const remote: TLSSocket = connect({
      host,
      port: spec.backend.port,
      secureContext: context,
      ...(servername ? { servername } : {}),
      ...(session ? { session } : {}),
      ...(spec.alpn ? { ALPNProtocols: spec.alpn } : {}),
      // Not in the typings, but tls.connect honours them: half-close end to end, no Nagle delay.
      ...({ allowHalfOpen: true, noDelay: true } as object),
    });
    remote.on('session', (s: Buffer) => {
      session = s;
    });
    let connected = false;
    let secured = false;
    let answered = false;
    let failure: { reason: UpstreamFailureReason; detail: string } | undefined;
    const dialTimer = setTimeout(() => {
      failure = { reason: connected ? 'remote_tls_failed' : 'remote_dial_failed', detail: `remote ${target} did not complete TLS within limits.dial_timeout` };
      remote.destroy();
    }, spec.limits.dial_timeout);
    remote.once('connect', () => {
      connected = true;
    });
    remote.once('secureConnect', () => {
      secured = true;
      clearTimeout(dialTimer);
    });
    remote.once('data', () => {
      answered = true;
    });
    remote.on('error', (err: NodeJS.ErrnoException) => {
      // TLS 1.3: the server judges our certificate after we finished, so its refusal
      // arrives as an alert on the first read, after 'secureConnect'.
      if (!secured || (!answered && isRefusedCertificate(err))) failure ??= classifyUpstreamError(err, target, connected);
      else if (!answered && err.code === 'ECONNRESET' && !local.readableEnded) failure ??= refusedAfterHandshake(target);
    });
    remote.once('end', () => {
      if (secured && !answered && !local.readableEnded) failure ??= refusedAfterHandshake(target);
    });
    forward(local, remote, { idleTimeoutMs: spec.limits.idle_timeout, idle });
    local.once('close', () => {
      clearTimeout(dialTimer);
      live.delete(local);
      const alpn = negotiatedAlpn(remote);
      recordConnectionEnd(stats, logger, spec.name, emit, {
        peer,
        bytesIn: local.bytesRead,
        bytesOut: local.bytesWritten,
        began,
        failure: failure?.detail,
        failureReason: failure?.reason ?? 'remote_tls_failed',
        failureResult: 'rejected',
        alpn,
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
    async drain(deadlineMs) {
      draining = true;
      const forced = await live.drain(server, deadlineMs, (socket) => socket.destroy());
      idle.close();
      return forced;
    },
  };
}

