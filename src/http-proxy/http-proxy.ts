/**
 * `backend.protocol: http`: an HTTP-aware service. Clients speak HTTP/1.1 or
 * HTTP/2 (ALPN `h2`, `http/1.1`) over mTLS to one `node:http2` secure server
 * built with the core's TLS options; the core's admission decides each
 * connection before any request on it is read, so a refused client never
 * reaches the backend. Admitted requests go to the backend over an undici
 * keep-alive pool, with the verified identity added as
 * `X-Forwarded-Client-Cert` (src/core/xfcc.ts) and the peer address as
 * `X-Forwarded-For`/`Forwarded`; client copies of those are always dropped
 * (./forward-headers.ts). WebSocket upgrades are passed through (./upgrade.ts).
 */
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2SecureServer } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import { Pool } from 'undici';
import type { PeerIdentity } from '../core/identity.js';
import { serverOptions } from '../core/tls-options.js';
import { DEFAULT_XFCC, xfccValue } from '../core/xfcc.js';
import type { WorkerSpec, WorkerStats } from '../protocol/messages.js';
import { recordConnectionEnd } from '../proxy/connection-end.js';
import { bindListener, createLiveSet } from '../proxy/listener-lifecycle.js';
import { createStatsCounter } from '../proxy/stats.js';
import { createListenerTls } from '../proxy/listener-tls.js';
import { wireListenerAdmission } from '../proxy/listener-admission.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from '../proxy/types.js';
import { forwardHeaders, responseHeaders } from './forward-headers.js';
import { passUpgrade } from './upgrade.js';

/** What the listener learnt about an admitted connection, tagged on its socket. */
interface Admitted {
  identity: PeerIdentity | undefined;
  /** The XFCC value, computed once per connection. */
  xfcc: string | undefined;
  peer: string | undefined;
  failure?: string | undefined;
}

// A symbol tag rather than a WeakMap: HTTP/2's compat API hands out a proxy of the socket, which forwards property reads.
const ADMITTED = Symbol('tlsmcp.admitted');
type Tagged = { [ADMITTED]?: Admitted };

export const HTTP_ALPN = ['h2', 'http/1.1'];

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

export function createHttpProxy(options: ProxyServiceOptions): ProxyService {
  const { logger, revocations } = options;
  let spec: WorkerSpec = options.spec;
  const stats = createStatsCounter();
  const live = createLiveSet<TLSSocket>();
  const tls = createListenerTls({ service: spec.name, material: options.material, revocations, logger });
  const bySerial = tls.bySerial;
  let backendReady = true;
  let draining = false;
  let pool = newPool(spec);

  const server: Http2SecureServer = createSecureServer({
    ...serverOptions(spec, options.material, { mode: spec.mtls.mode, ticketKeys: tls.ticketKeys(), handshakeTimeoutMs: spec.limits.handshake_timeout, alpn: HTTP_ALPN }),
    allowHTTP1: true,
  });
  // An idle keep-alive client connection is closed like an idle TCP one.
  server.setTimeout(spec.limits.idle_timeout);

  const { guard, admit, recompile } = wireListenerAdmission(server, options, { stats, spec: () => spec, established: () => live.size, draining: () => draining, backendReady: () => backendReady });

  // Runs before the HTTP machinery sees the socket: admission first, and a refused socket is destroyed in this same tick, before any byte of a request is read.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const admittedPeer = admit(socket);
    if (!admittedPeer) return;
    const { identity, peer, handshake_s } = admittedPeer;
    // Small request/response pairs: Nagle would hold each answer back for the client's delayed ACK.
    socket.setNoDelay(true);
    const admitted: Admitted = { identity, peer, xfcc: identity ? xfccValue(identity, spec.http?.xfcc ?? DEFAULT_XFCC) : undefined };
    (socket as Tagged)[ADMITTED] = admitted;
    const began = performance.now();
    live.add(socket);
    if (identity) bySerial.add(identity.serial, socket);
    stats.opened();
    socket.once('close', () => {
      live.delete(socket);
      if (identity) bySerial.delete(identity.serial, socket);
      recordConnectionEnd(stats, logger, spec.name, options.onEvent, {
        peer,
        bytesIn: socket.bytesRead,
        bytesOut: socket.bytesWritten,
        began,
        failure: admitted.failure,
        failureReason: 'backend_dial_failed',
        identity,
        detailed: spec.audit,
        handshake_s,
      });
    });
  });

  const admittedOf = (req: AnyRequest): Admitted | undefined => (req.socket as unknown as Tagged | null)?.[ADMITTED];

  server.on('request', (req: AnyRequest, res: AnyResponse) => {
    const admitted = admittedOf(req);
    if (!admitted) {
      // Not reachable by design (refused sockets are destroyed before parsing); deny rather than forward unidentified.
      res.destroy();
      return;
    }
    void forwardRequest(req, res, admitted);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const admitted = admittedOf(req);
    if (!admitted) return void socket.destroy();
    passUpgrade(req, socket, head, {
      backend: spec.backend,
      headers: forwardHeaders(req.headers, admitted, { keepUpgrade: true }),
      dialTimeoutMs: spec.limits.dial_timeout,
      onDialFailure: (detail) => noteFailure(admitted, detail),
    });
  });

  function noteFailure(admitted: Admitted, detail: string) {
    admitted.failure ??= detail;
  }

  async function forwardRequest(req: AnyRequest, res: AnyResponse, admitted: Admitted) {
    const method = req.method ?? 'GET';
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined || (req.httpVersionMajor === 2 && !(req as Http2ServerRequest).stream.endAfterHeaders);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const answer = await pool.request({
        method: method as 'GET',
        path: req.url ?? '/',
        headers: forwardHeaders(req.headers, admitted),
        ...(hasBody && method !== 'HEAD' ? { body: req } : {}),
        signal: abort.signal,
        headersTimeout: spec.limits.idle_timeout,
        bodyTimeout: spec.limits.idle_timeout,
      });
      (res as ServerResponse).writeHead(answer.statusCode, responseHeaders(answer.headers));
      await pipeline(answer.body, res as NodeJS.WritableStream);
    } catch (err) {
      if (abort.signal.aborted) return;
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const detail = `backend ${spec.backend.host}:${spec.backend.port} failed: ${code}`;
      logger.warn({ event: 'backend_request_failed', service: spec.name, peer: admitted.peer, code }, detail);
      noteFailure(admitted, detail);
      if (!res.headersSent) {
        (res as ServerResponse).writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`tlsmcp: ${detail}\n`);
      } else {
        res.destroy();
      }
    }
  }

  return {
    listen: () => bindListener(server, spec),
    reload(next, material) {
      const changes = diffSpecs(spec, next);
      // New trust anchors also mean new ticket keys: sessions verified under the old ones must not resume.
      if (tls.swap(server, next, material)) changes.applied.push('trust');
      if (next.backend.host !== spec.backend.host || next.backend.port !== spec.backend.port) {
        const old = pool;
        pool = newPool(next);
        void old.close().catch(() => undefined);
      }
      spec = { ...next, listen: spec.listen };
      recompile();
      return ['certificate', ...changes.applied];
    },
    setBackendReady(ready) {
      backendReady = ready;
    },
    stats: (): WorkerStats => ({ ...stats.snapshot(), live_serials: [...bySerial.keys()] }),
    async drain(deadlineMs) {
      draining = true;
      tls.close();
      const forced = await live.drain(server as unknown as NetServer, deadlineMs, (socket) => socket.destroy());
      guard.close();
      await pool.close().catch(() => undefined);
      return forced;
    },
  };
}

function newPool(spec: WorkerSpec): Pool {
  const host = spec.backend.host.includes(':') ? `[${spec.backend.host}]` : spec.backend.host;
  return new Pool(`http://${host}:${spec.backend.port}`, {
    connect: { timeout: spec.limits.dial_timeout },
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
}
