/**
 * Joins a client socket and a backend socket: `pipe` both ways (no per-byte
 * JS, backpressure from the streams), half-close passed through, and either
 * side failing or being cut tears down the other.
 */
import type { Socket } from 'node:net';
import type { IdleSweep } from './idle-sweep.js';

export interface ForwardOptions {
  /** Cut the pair after this long without traffic either way (0: never). */
  idleTimeoutMs: number;
  /** The listener's one idle sweep (./idle-sweep.ts): no timer per socket. */
  idle: IdleSweep;
  onIdle?: () => void;
}

function cleanlyDone(socket: Socket): boolean {
  return socket.readableEnded && socket.writableFinished;
}

/**
 * Starts forwarding. The idle sweep watches the client socket, which covers
 * both directions: reads on it are client→backend traffic, writes to it are
 * backend→client traffic.
 */
export function forward(client: Socket, backend: Socket, options: ForwardOptions): void {
  client.pipe(backend);
  backend.pipe(client);
  // A side that closed after a clean two-way shutdown leaves the other to
  // finish flushing; anything else (error, reset, revoke, timeout) cuts both.
  client.once('close', () => {
    options.idle.untrack(client);
    if (!cleanlyDone(client)) backend.destroy();
  });
  backend.once('close', () => {
    if (!cleanlyDone(backend)) client.destroy();
  });
  if (options.idleTimeoutMs > 0) {
    options.idle.track(client, options.idleTimeoutMs, () => {
      options.onIdle?.();
      client.destroy();
    });
  }
}
