/**
 * Marks the score's own probe connections so they are not counted as
 * rejected clients. A score run picks a source address for its probes (a
 * random 127.x.y.z when it dials a loopback listener, so no other client
 * shares it), registers it here through the running instance, and releases it
 * when done. A connection event whose peer is a marked address and whose time
 * falls inside that mark is the score's: the supervisor leaves it out of the
 * metrics and the audit trail. A mark lasts at most `maxMs` (a crashed score
 * run cannot hide rejections for long) and keeps `graceMs` after release for
 * event batches still in flight from the workers.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { TlsmcpError } from '../errors.js';

export interface ScoreProbeMarks {
  /**
   * Marks `peer` from now on; returns the id to release it with.
   * @throws TlsmcpError ERR_ARGUMENT_INVALID when `peer` is not an address of this host
   * (the score only probes its own listeners from here, so a remote address is never its).
   */
  mark(peer: string): number;
  /** Ends a mark (events stamped up to `graceMs` later still count as probes); false for an unknown id. */
  release(id: number): boolean;
  /** True when the event came from a marked peer while its mark held. */
  isProbe(event: { peer?: string | undefined; time: string }): boolean;
}

export interface ScoreProbeMarksOptions {
  clock?: () => Date;
  graceMs?: number;
  maxMs?: number;
}

/** `::ffff:127.0.0.9` (a dual-stack listener's view) and `127.0.0.9` are one peer. */
export function normalizePeer(peer: string): string {
  const p = peer.toLowerCase();
  return p.startsWith('::ffff:') && isIP(p.slice(7)) === 4 ? p.slice(7) : p;
}

/** Loopback, or an address of one of this host's interfaces. */
export function isLocalAddress(address: string): boolean {
  const a = normalizePeer(address);
  if (isIP(a) === 4 && a.startsWith('127.')) return true;
  if (a === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((i) => normalizePeer(i.address) === a));
}

export function createScoreProbeMarks(o: ScoreProbeMarksOptions = {}): ScoreProbeMarks {
  const clock = o.clock ?? (() => new Date());
  const graceMs = o.graceMs ?? 5_000;
  const maxMs = o.maxMs ?? 10 * 60_000;
  const marks = new Map<number, { peer: string; from: number; until: number }>();
  let nextId = 1;
  const prune = (now: number) => {
    for (const [id, m] of marks) if (m.until + 60_000 < now) marks.delete(id);
  };
  return {
    mark(peer) {
      if (!isLocalAddress(peer)) {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', `peer ${peer} is not an address of this host, so it cannot be the score's probe source`, {
          fix: 'mark the loopback or local address the score dials its listeners from',
        });
      }
      const now = clock().getTime();
      prune(now);
      const id = nextId++;
      marks.set(id, { peer: normalizePeer(peer), from: now, until: now + maxMs });
      return id;
    },
    release(id) {
      const m = marks.get(id);
      if (!m) return false;
      m.until = Math.min(m.until, clock().getTime() + graceMs);
      return true;
    },
    isProbe(event) {
      if (!event.peer || marks.size === 0) return false;
      const peer = normalizePeer(event.peer);
      const t = Date.parse(event.time);
      for (const m of marks.values()) if (m.peer === peer && t >= m.from && t <= m.until) return true;
      return false;
    },
  };
}

/**
 * The source address for the score's probes of a listener at `host`: a random
 * 127.x.y.z for an IPv4 loopback listener (every 127/8 address reaches it on
 * Linux), otherwise none (the kernel picks; the mark is then on `host` itself,
 * which a local client to that listener shares for the few seconds of the run).
 */
export function probeSourceFor(host: string, random: () => number = Math.random): { source: string | undefined; peer: string } {
  if (process.platform === 'linux' && isIP(host) === 4 && host.startsWith('127.')) {
    const byte = (min: number) => min + Math.floor(random() * (255 - min));
    const source = `127.${byte(1)}.${byte(0)}.${byte(1)}`;
    return { source, peer: source };
  }
  return { source: undefined, peer: host };
}
