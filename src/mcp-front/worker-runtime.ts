/**
 * The MCP front worker's side of the supervisor protocol (the same messages as
 * the proxy worker, src/supervisor/messages.ts): `start` runs one MCP front,
 * `reload` swaps certificates and policy live, `revoke` cuts sessions, `drain`
 * closes. Its MCP-specific settings arrive as `spec.mcp` (worker-spec.ts).
 * Audit events go straight to the audit log file (appends are line-atomic).
 */
import { createLogger, type Logger } from '../logger.js';
import { createAuditLog, type AuditLog } from '../state/audit-log.js';
import { fromWorkerSchema, type FromWorker, type ToWorker, type WorkerStats } from '../supervisor/messages.js';
import { crashWorkerForTest, onSupervisorMessages, type MessagePortLike } from '../supervisor/worker-port.js';
import { createMcpFront, type McpFront } from './front.js';
import { mcpServiceFromSpec } from './worker-spec.js';

const STATS_MS = 1_000;

export function runMcpFrontWorker(port: MessagePortLike, makeLogger: (level: string) => Logger = (level) => createLogger({ level: level as never, name: 'tlsmcp-mcp-worker' })): void {
  let front: McpFront | undefined;
  let auditLog: AuditLog | undefined;
  let logger: Logger | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let testHooks = false;

  const send = (message: FromWorker) => port.postMessage(fromWorkerSchema.parse(message));
  const stats = (): WorkerStats => {
    const c = front?.stats().connections ?? { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {} };
    return { ...c, bytes_in: 0, bytes_out: 0 };
  };

  async function handle(message: ToWorker): Promise<void> {
    switch (message.type) {
      case 'start': {
        testHooks = message.test_hooks;
        logger = makeLogger(message.spec.log_level);
        const mcp = message.spec.mcp;
        if (!mcp) {
          send({ type: 'start_failed', error: `service "${message.spec.name}": the start message has no spec.mcp (workerSpecOf builds it for protocol: mcp)` });
          return;
        }
        try {
          auditLog = message.spec.audit && mcp.audit_path ? createAuditLog(mcp.audit_path) : undefined;
          const revoked = new Set(message.revoked);
          front = createMcpFront({
            service: mcpServiceFromSpec(message.spec, mcp),
            tls: message.material,
            auditLog: auditLog ?? { append: () => undefined },
            logger,
            isRevoked: (serial) => revoked.has(serial),
          });
          const address = await front.listen();
          statsTimer = setInterval(() => send({ type: 'events', events: [], stats: stats() }), STATS_MS);
          statsTimer.unref();
          send({ type: 'ready', address });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          send({ type: 'start_failed', error: e.message, ...(e.code ? { code: e.code } : {}) });
        }
        return;
      }
      case 'reload': {
        if (!front) return;
        try {
          front.setSecureContext(message.material);
          const applied = ['certificate'];
          if (message.spec.mcp) {
            front.setPolicy({ authorization: message.spec.mcp.authorization, mtls: { ...message.spec.mtls, revocation_refresh: 0 } });
            applied.push('policy');
          }
          send({ type: 'reloaded', id: message.id, applied });
        } catch (err) {
          send({ type: 'reloaded', id: message.id, applied: [], error: (err as Error).message });
        }
        return;
      }
      case 'revoke': {
        send({ type: 'revoked', id: message.id, closed: front?.revoke(message.serials) ?? 0 });
        return;
      }
      case 'drain': {
        clearInterval(statsTimer);
        const open = front?.stats().sessions ?? 0;
        await front?.close();
        await auditLog?.close();
        send({ type: 'drained', forced: open, stats: stats() });
        port.close?.();
        return;
      }
      case 'crash': {
        if (testHooks) crashWorkerForTest();
        return;
      }
    }
  }

  onSupervisorMessages(port, () => logger, handle);
}
