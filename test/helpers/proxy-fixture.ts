/**
 * Builds worker specs and in-process proxies for tests, and a TLS client that
 * reports how a connection ended (refused after the handshake, or echoed).
 */
import { once } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';
import { createSilentLogger } from '../../src/logger.js';
import { createRevocationFeed, type RevocationFeed } from '../../src/core/revocation.js';
import { createProxyService, type ProxyService } from '../../src/proxy/proxy-service.js';
import type { ConnectionEvent, TlsMaterial, WorkerSpec } from '../../src/protocol/messages.js';
import type { IssueResult } from '../../src/ca/types.js';

export function testSpec(overrides: Partial<WorkerSpec> & { backendPort: number }): WorkerSpec {
  const { backendPort, ...rest } = overrides;
  return {
    name: 'test',
    mode: 'server',
    listen: { host: '127.0.0.1', port: 0 },
    protocol: 'tls13',
    backend: { host: '127.0.0.1', port: backendPort },
    mtls: { mode: 'required' },
    limits: { dial_timeout: 2_000, idle_timeout: 30_000, handshake_timeout: 5_000, max_connections: 100, drain_timeout: 2_000 },
    audit: true,
    log_level: 'silent',
    ...rest,
  };
}

export interface RunningProxy {
  service: ProxyService;
  port: number;
  events: ConnectionEvent[];
  /** The worker-side revocation feed the service cuts through. */
  revocations: RevocationFeed;
}

export async function startProxy(spec: WorkerSpec, material: TlsMaterial, revoked: string[] = []): Promise<RunningProxy> {
  const events: ConnectionEvent[] = [];
  const revocations = createRevocationFeed(revoked);
  const service = createProxyService({ spec, material, revocations, logger: createSilentLogger(), onEvent: (e) => events.push(e) });
  const { port } = await service.listen();
  return { service, port, events, revocations };
}

export function serverMaterial(server: IssueResult, caPems: string[]): TlsMaterial {
  return { certPem: server.certPem, keyPem: server.keyPem!, caPems };
}

export interface ClientOptions {
  port: number;
  caPem: string;
  cert?: IssueResult;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ALPNProtocols?: string[];
}

export function tlsConnect({ port, caPem, cert, maxVersion, ALPNProtocols }: ClientOptions): TLSSocket {
  return connect({
    host: '127.0.0.1',
    port,
    ca: caPem,
    servername: 'localhost',
    ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
    ...(maxVersion ? { maxVersion } : {}),
    ...(ALPNProtocols ? { ALPNProtocols } : {}),
  });
}

/**
 * Connects, sends `ping`, and reports whether the echo came back. A client the
 * proxy refuses sees the handshake finish (TLS 1.3) and then a close or an
 * error instead of the echo.
 */
export async function tryEcho(options: ClientOptions): Promise<{ echoed: boolean; error?: string }> {
  const socket = tlsConnect(options);
  let data = '';
  let error: string | undefined;
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  socket.once('secureConnect', () => socket.write('ping'));
  const done = new Promise<void>((resolve) => {
    socket.on('data', () => {
      if (data === 'ping') {
        socket.end();
        resolve();
      }
    });
    socket.once('close', () => resolve());
  });
  await done;
  socket.destroy();
  return { echoed: data === 'ping', ...(error ? { error } : {}) };
}

export async function closed(socket: { destroyed: boolean; once(e: 'close', l: () => void): unknown }): Promise<void> {
  if (socket.destroyed) return;
  await once(socket as never, 'close');
}
