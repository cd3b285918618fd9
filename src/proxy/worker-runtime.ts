/**
 * The proxy worker's side of the message protocol: parses what the supervisor
 * sends, runs one ProxyService, and sends back ready, health, batched
 * connection events with stats, and replies. Connection events are batched
 * (every 100 ms or 256 events) so the hot path never posts a message per
 * connection.
 */
import { createLogger, type Logger } from '../logger.js';
import { fromWorkerSchema, type ConnectionEvent, type FromWorker, type ToWorker } from '../supervisor/messages.js';
import { crashWorkerForTest, onSupervisorMessages, type MessagePortLike } from '../supervisor/worker-port.js';
import { createHealthCheck, type HealthCheck } from './health-check.js';
import { createProxyService, type ProxyService } from './proxy-service.js';

const FLUSH_MS = 100;
const FLUSH_EVENTS = 256;
const STATS_MS = 1_000;

export function runProxyWorker(port: MessagePortLike, makeLogger: (level: string) => Logger = (level) => createLogger({ level: level as never, name: 'tlsmcp-worker' })): void {
  let service: ProxyService | undefined;
  let health: HealthCheck | undefined;
  let logger: Logger | undefined;
  let testHooks = false;
  let announced = false;
  let buffer: ConnectionEvent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;

  const send = (message: FromWorker) => port.postMessage(fromWorkerSchema.parse(message));
  const flush = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (!service) return;
    const events = buffer;
    buffer = [];
    send({ type: 'events', events, stats: service.stats() });
  };
  const onEvent = (event: ConnectionEvent) => {
    buffer.push(event);
    if (buffer.length >= FLUSH_EVENTS) flush();
    else flushTimer ??= setTimeout(flush, FLUSH_MS);
  };

  async function handle(message: ToWorker): Promise<void> {
    switch (message.type) {
      case 'start': {
        testHooks = message.test_hooks;
        logger = makeLogger(message.spec.log_level).child({ service: message.spec.name });
        try {
          service = createProxyService({ spec: message.spec, material: message.material, revoked: message.revoked, logger, onEvent });
          const address = await service.listen();
          const hc = message.spec.health_check;
          let backend: { ready: boolean; reason?: string } = { ready: true };
          if (hc) {
            const s = service;
            health = createHealthCheck({
              host: message.spec.backend.host,
              port: message.spec.backend.port,
              intervalMs: hc.interval,
              timeoutMs: hc.timeout,
              onChange: (ready, reason) => {
                s.setBackendReady(ready);
                backend = { ready, ...(reason ? { reason } : {}) };
                logger?.[ready ? 'info' : 'warn']({ event: 'backend_health', ready }, ready ? 'backend is up' : reason);
                if (announced) send({ type: 'health', ready, ...(reason ? { reason } : {}) });
              },
            });
            await health.start();
          }
          statsTimer = setInterval(flush, STATS_MS);
          announced = true;
          send({ type: 'ready', address, backend_ready: backend.ready, ...(backend.reason ? { reason: backend.reason } : {}) });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          send({ type: 'start_failed', error: e.message, ...(e.code ? { code: e.code } : {}) });
        }
        return;
      }
      case 'reload': {
        if (!service) return;
        try {
          const applied = service.reload(message.spec, message.material);
          send({ type: 'reloaded', id: message.id, applied });
        } catch (err) {
          send({ type: 'reloaded', id: message.id, applied: [], error: (err as Error).message });
        }
        return;
      }
      case 'revoke': {
        const closed = service?.revoke(message.serials) ?? 0;
        send({ type: 'revoked', id: message.id, closed });
        return;
      }
      case 'drain': {
        health?.stop();
        clearInterval(statsTimer);
        const forced = service ? await service.drain(message.deadline_ms) : 0;
        flush();
        send({ type: 'drained', forced, stats: service?.stats() ?? { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, bytes_in: 0, bytes_out: 0 } });
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
