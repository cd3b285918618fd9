/**
 * Joins a client socket and a backend socket: `pipe` both ways (no per-byte
 * JS, backpressure from the streams), half-close passed through, and either
 * side failing or being cut tears down the other.
 */
import type { Socket } from 'node:net';

export interface ForwardOptions {
  /** Cut the pair after this long without traffic either way (0: never). */
  idleTimeoutMs: number;
  onIdle?: () => void;
}

function cleanlyDone(socket: Socket): boolean {
  return socket.readableEnded && socket.writableFinished;
}

/**
 * Starts forwarding. The client's idle timer covers both directions: reads on
 * it are client→backend traffic, writes to it are backend→client traffic.
 */
export function forward(client: Socket, backend: Socket, options: ForwardOptions): void {
  client.pipe(backend);
  backend.pipe(client);
  // A side that closed after a clean two-way shutdown leaves the other to
  // finish flushing; anything else (error, reset, revoke, timeout) cuts both.
  client.once('close', () => {
    if (!cleanlyDone(client)) backend.destroy();
  });
  backend.once('close', () => {
    if (!cleanlyDone(backend)) client.destroy();
  });
  if (options.idleTimeoutMs > 0) {
    client.setTimeout(options.idleTimeoutMs, () => {
      options.onIdle?.();
      client.destroy();
    });
  }
}
