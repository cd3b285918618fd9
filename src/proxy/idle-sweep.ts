/**
 * `limits.idle_timeout` for every forwarded connection of one listener (so one
 * per worker), enforced by one sweep timer instead of a socket timer that Node
 * re-arms on every chunk read or written. A sweep compares each connection's
 * byte counters with the last sweep's: a change is traffic; a connection whose
 * counters have not moved for its timeout is handed to its `onIdle`. The cut
 * comes between `timeout` and `timeout` plus one sweep period (a quarter of the
 * shortest timeout, 25 ms to 1 s). The timer runs only while something is
 * tracked, so an idle listener costs nothing.
 */
import type { Socket } from 'node:net';

export interface IdleSweep {
  /** Starts watching `socket` (both directions: bytes read and bytes written). */
  track(socket: Socket, timeoutMs: number, onIdle: () => void): void;
  /** Stops watching it (it closed). */
  untrack(socket: Socket): void;
  readonly size: number;
  /** One sweep now (tests; the timer calls the same). */
  sweep(): void;
  /** Stops the timer and forgets every socket. */
  close(): void;
}

interface Watched {
  timeoutMs: number;
  bytes: number;
  lastActive: number;
  onIdle: () => void;
}

export function createIdleSweep(options: { now?: () => number } = {}): IdleSweep {
  const now = options.now ?? (() => performance.now());
  const watched = new Map<Socket, Watched>();
  let timer: NodeJS.Timeout | undefined;
  let shortest = Infinity;

  const period = () => Math.max(25, Math.min(1_000, Math.floor(shortest / 4)));
  const arm = () => {
    if (timer !== undefined || watched.size === 0) return;
    timer = setTimeout(tick, period());
    timer.unref();
  };
  const tick = () => {
    timer = undefined;
    sweep();
    arm();
  };

  function sweep() {
    const t = now();
    let min = Infinity;
    const idle: Watched[] = [];
    for (const [socket, w] of watched) {
      if (socket.destroyed) {
        watched.delete(socket);
        continue;
      }
      const bytes = socket.bytesRead + socket.bytesWritten;
      if (bytes !== w.bytes) {
        w.bytes = bytes;
        w.lastActive = t;
      } else if (t - w.lastActive >= w.timeoutMs) {
        watched.delete(socket);
        idle.push(w);
        continue;
      }
      if (w.timeoutMs < min) min = w.timeoutMs;
    }
    shortest = min;
    // After the walk: onIdle destroys sockets, whose close handlers untrack.
    for (const w of idle) w.onIdle();
  }

  return {
    track(socket, timeoutMs, onIdle) {
      watched.set(socket, { timeoutMs, bytes: socket.bytesRead + socket.bytesWritten, lastActive: now(), onIdle });
      if (timeoutMs < shortest) {
        shortest = timeoutMs;
        // A shorter timeout wants a shorter period: re-arm.
        clearTimeout(timer);
        timer = undefined;
      }
      arm();
    },
    untrack(socket) {
      watched.delete(socket);
    },
    get size() {
      return watched.size;
    },
    sweep,
    close() {
      clearTimeout(timer);
      timer = undefined;
      watched.clear();
    },
  };
}
