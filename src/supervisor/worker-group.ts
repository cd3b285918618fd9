/**
 * Several workers behind one listener, seen as one WorkerHandle. On Node 20
 * worker threads cannot share a port, so a group has one worker; where the
 * runtime has `listen({ reusePort: true })` (Node >= 22.12 / 23.1) it has one
 * per core and the kernel spreads connections across them.
 */
import { availableParallelism } from 'node:os';
import { addCounts } from '../protocol/mcp-counters.js';
import type { WorkerStats } from '../protocol/messages.js';
import type { WorkerHandle } from './worker-handle.js';

/** Whether `net.Server.listen` honours `reusePort` here; unknown options are ignored silently, so go by version. */
export function supportsReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Workers to run per listener: one per core where the port can be shared, else one. */
export function workersPerListener(version?: string, cores: number = availableParallelism()): number {
  return supportsReusePort(version) ? Math.max(1, cores) : 1;
}

function sumStats(all: WorkerStats[]): WorkerStats {
  const out: WorkerStats = { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, bytes_in: 0, bytes_out: 0 };
  for (const s of all) {
    out.active += s.active;
    out.accepted += s.accepted;
    out.rejected += s.rejected;
    out.bytes_in += s.bytes_in;
    out.bytes_out += s.bytes_out;
    for (const [k, v] of Object.entries(s.rejected_by_reason)) out.rejected_by_reason[k] = (out.rejected_by_reason[k] ?? 0) + v;
    if (s.live_serials) out.live_serials = [...(out.live_serials ?? []), ...s.live_serials];
    if (s.mcp) out.mcp = addCounts(out.mcp ?? {}, s.mcp);
  }
  return out;
}

/** The first worker binds (resolving port 0); the others then bind the same port with reusePort. */
export function createWorkerGroup(members: WorkerHandle[]): WorkerHandle {
  const [first, ...rest] = members;
  if (!first) throw new Error('a worker group needs at least one worker');
  if (rest.length === 0) return first;
  return {
    get state() {
      return members.find((m) => m.state !== 'ready')?.state ?? 'ready';
    },
    get stateReason() {
      return members.find((m) => m.state !== 'ready')?.stateReason;
    },
    get address() {
      return first.address;
    },
    get threadId() {
      return first.threadId;
    },
    get restarts() {
      return members.reduce((a, m) => a + m.restarts, 0);
    },
    get startedAt() {
      return first.startedAt;
    },
    get stats() {
      return sumStats(members.map((m) => m.stats));
    },
    get spec() {
      return first.spec;
    },
    set spec(value) {
      for (const m of members) m.spec = value;
    },
    async start() {
      await first.start();
      const port = first.address?.port ?? first.spec.listen.port;
      for (const m of rest) m.spec = { ...m.spec, listen: { ...m.spec.listen, port } };
      await Promise.all(rest.map((m) => m.start()));
    },
    async reload(spec, material) {
      const results = await Promise.all(members.map((m) => m.reload(spec, material)));
      const error = results.find((r) => r.error)?.error;
      return { applied: results[0]?.applied ?? [], ...(error ? { error } : {}) };
    },
    async revoke(serials) {
      const counts = await Promise.all(members.map((m) => m.revoke(serials)));
      return counts.reduce((a, b) => a + b, 0);
    },
    async acmeChallenge(domain, pems) {
      await Promise.all(members.map((m) => m.acmeChallenge?.(domain, pems)));
    },
    post(message) {
      // Test hooks aim at one worker; everything else goes to all.
      if (message.type === 'crash') first.post(message);
      else for (const m of members) m.post(message);
    },
    async stop(drainMs) {
      await Promise.all(members.map((m) => m.stop(drainMs)));
    },
  };
}
