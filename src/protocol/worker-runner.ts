/**
 * The one worker runner: the worker side of the supervisor protocol for every
 * kind of worker (TCP proxy, MCP front). It parses what the supervisor sends,
 * runs one listener service, keeps the worker's revocation feed (filled from
 * `start` and `revoke` messages; the service cuts through its subscription),
 * batches connection events (every 100 ms or 256 events, so the hot path never
 * posts a message per connection), sends stats every second when they changed
 * (an idle worker posts nothing), and answers
 * reload, revoke and drain. A kind only says how to make its service.
 */
import type { Logger } from '../logger.js';
import { createRevocationFeed, type RevocationFeed } from '../core/revocation.js';
import { toWireError } from './errors.js';
// Types only: the zod schemas stay on the supervisor side, which validates every
// message in both directions (src/supervisor/worker-handle.ts), so no worker loads zod.
import type { ConnectionEvent, FromWorker, TlsMaterial, ToWorker, WorkerSpec, WorkerStats } from './messages.js';
import { createWorkerLogger } from './worker-log.js';
import { compactHeap } from '../util/heap-compact.js';
import { crashWorkerForTest, onSupervisorMessages, type MessagePortLike } from './worker-port.js';

const FLUSH_MS = 100;
const FLUSH_EVENTS = 256;
const STATS_MS = 1_000;

export const EMPTY_STATS: WorkerStats = { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, bytes_in: 0, bytes_out: 0 };

/** What a worker runs: one listener. */
export interface WorkerService {
  /** Binds; resolves with the real address and, when the service checks one, whether its backend is up. */
  start(): Promise<{ address: { host: string; port: number }; backendReady?: boolean; reason?: string }>;
  /** Applies a new spec and material live; returns what took effect. Throws when it could not. */
  reload(spec: WorkerSpec, material: TlsMaterial): string[];
  stats(): WorkerStats;
  /** Stops accepting, waits up to the deadline, cuts the rest; resolves with how many were cut. */
  drain(deadlineMs: number): Promise<number>;
  /** ACME TLS-ALPN-01 on the listener (server-mode proxies). */
  acmeChallenge?(domain: string, pems: { certPem: string; keyPem: string } | undefined): void;
}

export interface WorkerContext {
  spec: WorkerSpec;
  material: TlsMaterial;
  /** Revoked serials; the service subscribes to cut what it holds. */
  revocations: RevocationFeed;
  logger: Logger;
  /** One call per finished or refused connection. */
  onEvent: (event: ConnectionEvent) => void;
  /** Backend health changes after start. */
  onHealth: (ready: boolean, reason?: string) => void;
}

export interface WorkerKind {
  /** Logger name, e.g. `tlsmcp-worker`. */
  name: string;
  create(context: WorkerContext): WorkerService;
}

export function runWorker(port: MessagePortLike, kind: WorkerKind, makeLogger: (level: string) => Logger = (level) => createWorkerLogger({ level, name: kind.name })): void {
  let service: WorkerService | undefined;
  let logger: Logger | undefined;
  let testHooks = false;
  let announced = false;
  let buffer: ConnectionEvent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let revocations: RevocationFeed = createRevocationFeed();

  const send = (message: FromWorker) => port.postMessage(message);
  let lastStats = '';
  const flush = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (!service) return;
    const events = buffer;
    buffer = [];
    const stats = service.stats();
    lastStats = JSON.stringify(stats);
    send({ type: 'events', events, stats });
  };
  /** The 1 s stats tick: nothing to send when no event is pending and the stats are as last sent. */
  const tick = () => {
    if (!service) return;
    if (buffer.length === 0 && JSON.stringify(service.stats()) === lastStats) return;
    flush();
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
        revocations = createRevocationFeed(message.revoked);
        const where = `${message.spec.listen.host}:${message.spec.listen.port}`;
        try {
          service = kind.create({
            spec: message.spec,
            material: message.material,
            revocations,
            logger,
            onEvent,
            onHealth: (ready, reason) => {
              if (announced) send({ type: 'health', ready, ...(reason ? { reason } : {}) });
            },
          });
          const started = await service.start();
          statsTimer = setInterval(tick, STATS_MS);
          statsTimer.unref();
          announced = true;
          send({
            type: 'ready',
            address: started.address,
            ...(started.backendReady === undefined ? {} : { backend_ready: started.backendReady }),
            ...(started.reason ? { reason: started.reason } : {}),
          });
          // Listening: give back what starting grew (the worker's young generation) before the first client.
          setImmediate(compactHeap);
        } catch (err) {
          send({ type: 'start_failed', error: toWireError(err, where) });
        }
        return;
      }
      case 'reload': {
        if (!service) return;
        try {
          send({ type: 'reloaded', id: message.id, applied: service.reload(message.spec, message.material) });
        } catch (err) {
          send({ type: 'reloaded', id: message.id, applied: [], error: toWireError(err) });
        }
        return;
      }
      case 'revoke': {
        const { cut } = await revocations.add(message.serials);
        send({ type: 'revoked', id: message.id, closed: Object.values(cut).reduce((a, b) => a + b, 0) });
        return;
      }
      case 'acme_challenge': {
        service?.acmeChallenge?.(message.domain, message.cert_pem && message.key_pem ? { certPem: message.cert_pem, keyPem: message.key_pem } : undefined);
        send({ type: 'acme_challenge_set', id: message.id });
        return;
      }
      case 'drain': {
        clearInterval(statsTimer);
        const forced = service ? await service.drain(message.deadline_ms) : 0;
        flush();
        send({ type: 'drained', forced, stats: service?.stats() ?? EMPTY_STATS });
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
