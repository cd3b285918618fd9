/**
 * Pre-handshake hygiene for every TLS listener (TCP proxy, MCP front, remote
 * MCP). Every raw socket is tracked from the TCP accept until its handshake
 * completes; one that fails, hangs up or stalls is destroyed, raw socket
 * included. Node alone is not enough: a client that hangs up mid-handshake can
 * leave the raw socket open with no further event, and destroying the TLS
 * socket in `tlsClientError` does not always free its raw `_parent`.
 *
 *  - the deadline is `handshake_timeout` from the accept, enforced by one sweep
 *    timer per listener (no timer per connection);
 *  - `max_connections` counts live sockets only (established plus pending);
 *    at the cap a new socket evicts the oldest pending one (a stalled or silent
 *    socket) rather than being refused, so silent sockets cannot lock good
 *    clients out; only when every slot holds an established connection is the
 *    newcomer refused.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { RejectReason } from './reasons.js';

export interface HandshakeGuardOptions {
  handshakeTimeoutMs: () => number;
  maxConnections: () => number;
  /** Connections past their handshake that are still open. */
  established: () => number;
  /** Refuse new sockets at once (draining, backend down); undefined lets them in. */
  refuseNew?: () => RejectReason | undefined;
  onRefused: (reason: RejectReason, peer: string | undefined, detail: string) => void;
}

export interface HandshakeGuard {
  /** Sockets accepted whose handshake has not finished. */
  readonly pending: number;
  /** Call from 'secureConnection': the socket is no longer pending; returns ms since its accept. */
  handshakeDone(socket: TLSSocket): number | undefined;
  /** Stops the sweep (the listener is closing) and destroys what is pending. */
  close(): void;
}

type WithParent = TLSSocket & { _parent?: Socket };

/** The raw TCP socket under a server-side TLS socket. */
export function rawSocketOf(socket: TLSSocket): Socket {
  return (socket as WithParent)._parent ?? socket;
}

/** Destroys a TLS socket and the raw socket under it. */
export function destroyBoth(socket: TLSSocket): void {
  socket.destroy();
  const raw = (socket as WithParent)._parent;
  if (raw && !raw.destroyed) raw.destroy();
}

export function guardHandshakes(server: TlsServer, options: HandshakeGuardOptions): HandshakeGuard {
  // Insertion order is accept order: the first entry is the oldest.
  const pending = new Map<Socket, number>();

  server.on('connection', (raw: Socket) => {
    const refused = options.refuseNew?.();
    if (refused) {
      options.onRefused(refused, raw.remoteAddress, refused === 'draining' ? 'the listener is shutting down' : 'the backend is not ready');
      raw.destroy();
      return;
    }
    if (pending.size + options.established() >= options.maxConnections()) {
      const oldest = pending.keys().next();
      if (oldest.done) {
        options.onRefused('max_connections', raw.remoteAddress, `limits.max_connections (${options.maxConnections()}) reached`);
        raw.destroy();
        return;
      }
      pending.delete(oldest.value);
      options.onRefused('max_connections', oldest.value.remoteAddress, `limits.max_connections (${options.maxConnections()}) reached: the oldest unfinished handshake made room`);
      oldest.value.destroy();
    }
    pending.set(raw, performance.now());
  });
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => {
    pending.delete(rawSocketOf(socket));
    destroyBoth(socket);
  });

  const sweep = () => {
    const deadline = performance.now() - options.handshakeTimeoutMs();
    for (const [raw, acceptedAt] of pending) {
      if (raw.destroyed) {
        pending.delete(raw);
      } else if (acceptedAt <= deadline) {
        pending.delete(raw);
        options.onRefused('handshake_timeout', raw.remoteAddress, `no complete TLS handshake within limits.handshake_timeout (${options.handshakeTimeoutMs()} ms)`);
        raw.destroy();
      }
    }
  };
  // One timer per listener, re-armed with the current timeout (a reload may change it).
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    sweep();
    if (closed) return;
    timer = setTimeout(loop, Math.max(25, Math.min(250, Math.floor(options.handshakeTimeoutMs() / 4))));
    timer.unref();
  };
  loop();

  return {
    get pending() {
      return pending.size;
    },
    handshakeDone(socket) {
      const raw = rawSocketOf(socket);
      const at = pending.get(raw);
      pending.delete(raw);
      return at === undefined ? undefined : performance.now() - at;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const raw of pending.keys()) raw.destroy();
      pending.clear();
    },
  };
}
