/**
 * The MCP front as a kind of worker for the shared runner
 * (src/protocol/worker-runner.ts): `start` runs one MCP front, `reload` swaps
 * certificates and policy live, revocations arrive through the worker's feed,
 * `drain` closes. Its MCP-specific settings arrive as `spec.mcp`. Audit events
 * go to the audit log file in batches written off the request path
 * (./audit-batch.ts: appends are line-atomic, the queue is written on drain and on exit).
 */
import { TlsmcpError } from '../errors.js';
import type { WorkerKind } from '../protocol/worker-runner.js';
import { createBatchedAuditLog, type BatchedAuditLog } from './audit-batch.js';
import { createMcpFront } from './front.js';
import { createPinStore } from './pinning-store.js';
import { mcpServiceFromSpec } from './worker-spec.js';

export const mcpFrontWorkerKind: WorkerKind = {
  name: 'tlsmcp-mcp-worker',
  create({ spec, material, revocations, logger }) {
    const mcp = spec.mcp;
    if (!mcp) {
      throw new TlsmcpError('ERR_WORKER', `service "${spec.name}": the start message has no spec.mcp`, { fix: 'the supervisor builds spec.mcp for protocol: mcp services; this is a bug, please report it' });
    }
    const auditLog: BatchedAuditLog | undefined =
      spec.audit && mcp.audit_path
        ? createBatchedAuditLog(mcp.audit_path, { onError: (err) => logger.warn({ err: err.message }, 'audit log write failed') })
        : undefined;
    const front = createMcpFront({
      service: mcpServiceFromSpec(spec, mcp),
      tls: material,
      auditLog: auditLog ?? { append: () => undefined },
      logger,
      revocations,
      // The state dir's pin file; in memory when the supervisor gave none.
      pins: createPinStore(spec.name, mcp.pins_path),
      ...(mcp.sessions ? { sessionLimits: { idleTimeoutMs: mcp.sessions.idle_timeout, maxPerIdentity: mcp.sessions.max_per_identity, maxTotal: mcp.sessions.max_total } } : {}),
    });
    const stats = () => {
      const { connections, mcp } = front.stats();
      return { ...connections, bytes_in: 0, bytes_out: 0, mcp: mcp.counters };
    };
    return {
      async start() {
        return { address: await front.listen() };
      },
      reload(next, nextMaterial) {
        front.setSecureContext(nextMaterial);
        const applied = ['certificate'];
        if (next.mcp) {
          front.setPolicy({ authorization: next.mcp.authorization, mtls: { ...next.mtls, revocation_refresh: 0 }, rate_limit: next.mcp.rate_limit });
          applied.push('policy');
        }
        return applied;
      },
      stats,
      async drain() {
        const open = front.stats().sessions;
        await front.close();
        await auditLog?.close();
        return open;
      },
    };
  },
};
