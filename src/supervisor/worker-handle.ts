/**
 * One supervised worker thread for one service: spawn, wait for `ready`,
 * route requests and their replies, restart with backoff when it dies, drain
 * and stop on request. The supervisor holds one handle per service.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import { TlsmcpError } from '../errors.js';
import { fromWireError } from '../protocol/errors.js';
import { addCounts } from '../protocol/mcp-counters.js';
import { fromWorkerSchema, toWorkerSchema, type ConnectionEvent, type FromWorker, type TlsMaterial, type ToWorker, type WorkerSpec, type WorkerStats } from '../protocol/messages.js';
import type { WorkerState } from './types.js';
import type { WorkerEntry } from './worker-entry.js';

export interface WorkerHandleOptions {
  spec: WorkerSpec;
  material: () => TlsMaterial;
  revoked: () => string[];
  entry: WorkerEntry;
  logger: Logger;
  testHooks: boolean;
  onEvents: (events: ConnectionEvent[], stats: WorkerStats) => void;
  onStateChange?: (state: WorkerState) => void;
  /**
   * V8's initial heap size for the worker isolate, in MB (0: V8's default). With
   * the default, a worker whose heap holds zod and the proxy code sits close to
   * its first old-space limit and runs a full mark-compact every ~100 ms under
   * bulk traffic; 64 MB of headroom measured ~15% more throughput and a third of
   * the GC helper-thread CPU (see bench/).
   */
  initialHeapMb?: number;
  /** First restart delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface WorkerHandle {
  readonly state: WorkerState;
  readonly stateReason: string | undefined;
  readonly address: { host: string; port: number } | undefined;
  readonly threadId: number | undefined;
  readonly restarts: number;
  readonly startedAt: Date | undefined;
  readonly stats: WorkerStats;
  spec: WorkerSpec;
  /** Resolves when the first worker is ready; rejects when it could not start. */
  start(): Promise<void>;
  reload(spec: WorkerSpec, material: TlsMaterial): Promise<{ applied: string[]; error?: string }>;
  revoke(serials: string[]): Promise<number>;
  /** ACME TLS-ALPN-01 on the worker's listener; resolves once the worker has it in place. */
  acmeChallenge?(domain: string, pems: { certPem: string; keyPem: string } | undefined): Promise<void>;
  post(message: ToWorker): void;
  /** Drains (stop accepting, wait up to the deadline) and stops the thread for good. */
  stop(drainMs: number): Promise<void>;
}

const EMPTY_STATS: WorkerStats = { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, bytes_in: 0, bytes_out: 0 };
const STABLE_MS = 10_000;

/**
 * Every message to a worker, validated here: workers load no zod (bench/PROFILE.md
 * item 2), so the supervisor checks both directions and a bug throws at the sender.
 */
function checked<T extends ToWorker>(message: T): T {
  return toWorkerSchema.parse(message) as T;
}

export function createWorkerHandle(options: WorkerHandleOptions): WorkerHandle {
  const { logger } = options;
  const backoff = options.backoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let worker: Worker | undefined;
  let state: WorkerState = 'starting';
  let stateReason: string | undefined;
  let address: { host: string; port: number } | undefined;
  let restarts = 0;
  let failuresInRow = 0;
  let startedAt: Date | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let nextId = 1;
  const pending = new Map<number, (reply: FromWorker | undefined) => void>();
  // Counters survive restarts: a new thread starts from zero, so keep a base.
  let base: WorkerStats = { ...EMPTY_STATS };
  let current: WorkerStats = { ...EMPTY_STATS };
  let drained: ((msg: FromWorker | undefined) => void) | undefined;

  const setState = (next: WorkerState, reason?: string) => {
    state = next;
    stateReason = reason;
    options.onStateChange?.(next);
  };

  const merged = (): WorkerStats => {
    const byReason: Record<string, number> = { ...base.rejected_by_reason };
    for (const [k, v] of Object.entries(current.rejected_by_reason)) byReason[k] = (byReason[k] ?? 0) + v;
    return {
      active: current.active,
      accepted: base.accepted + current.accepted,
      rejected: base.rejected + current.rejected,
      rejected_by_reason: byReason,
      bytes_in: base.bytes_in + current.bytes_in,
      bytes_out: base.bytes_out + current.bytes_out,
      ...(current.live_serials ? { live_serials: current.live_serials } : {}),
      ...(base.mcp || current.mcp ? { mcp: addCounts(addCounts({}, base.mcp), current.mcp) } : {}),
    };
  };

  function spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      // Read by V8 when it configures a new isolate's heap, so it applies to the
      // worker about to start (the flag is process-wide; setting it again is harmless).
      const heapMb = options.initialHeapMb ?? 64;
      if (heapMb > 0) setFlagsFromString(`--initial-heap-size=${heapMb}`);
      const w = new Worker(options.entry.url, { execArgv: options.entry.execArgv, workerData: options.entry.workerData, stdout: false, stderr: false });
      worker = w;
      const spec = address ? { ...handle.spec, listen: address } : handle.spec; // keep a port 0 service on its port across restarts
      w.on('message', (raw: unknown) => {
        const parsed = fromWorkerSchema.safeParse(raw);
        if (!parsed.success) {
          logger.error({ event: 'bad_worker_message', service: spec.name }, 'worker sent a malformed message');
          return;
        }
        const msg = parsed.data;
        switch (msg.type) {
          case 'ready':
            address = msg.address;
            startedAt = new Date();
            if (msg.backend_ready === false) setState('not_ready', msg.reason);
            else setState('ready');
            logger.info({ event: 'worker_ready', service: spec.name, address: `${msg.address.host}:${msg.address.port}`, threadId: w.threadId }, 'worker ready');
            settled = true;
            resolve();
            return;
          case 'start_failed':
            settled = true;
            setState('failed', msg.error.message);
            void w.terminate();
            reject(fromWireError(msg.error, `service "${spec.name}" could not start`, 'check the service config and the log'));
            return;
          case 'health':
            setState(msg.ready ? 'ready' : 'not_ready', msg.reason);
            return;
          case 'events':
            current = msg.stats;
            options.onEvents(msg.events, merged());
            return;
          case 'reloaded':
          case 'revoked':
          case 'acme_challenge_set':
            pending.get(msg.id)?.(msg);
            pending.delete(msg.id);
            return;
          case 'drained':
            current = msg.stats;
            drained?.(msg);
            return;
        }
      });
      w.on('error', (err) => {
        logger.error({ event: 'worker_error', service: spec.name, err: err.message }, 'worker thread threw');
      });
      w.on('exit', (code) => {
        if (worker === w) worker = undefined;
        for (const done of pending.values()) done(undefined);
        pending.clear();
        drained?.(undefined);
        base = merged();
        base.active = 0;
        current = { ...EMPTY_STATS };
        if (!settled) {
          settled = true;
          setState('failed', `worker exited with code ${code} before it was ready`);
          reject(new TlsmcpError('ERR_WORKER', `service "${spec.name}": worker exited with code ${code} before it was ready`, { fix: 'see the log above for the cause' }));
          return;
        }
        if (stopping || state === 'failed') return;
        scheduleRestart(code);
      });
      w.postMessage(checked({ type: 'start', spec, material: options.material(), revoked: options.revoked(), test_hooks: options.testHooks }));
    });
  }

  function scheduleRestart(code: number) {
    const upFor = startedAt ? Date.now() - startedAt.getTime() : 0;
    failuresInRow = upFor > STABLE_MS ? 1 : failuresInRow + 1;
    const delay = Math.min(backoff * 2 ** (failuresInRow - 1), maxBackoff);
    restarts += 1;
    setState('restarting', `worker exited with code ${code}; restart ${restarts} in ${delay}ms`);
    logger.warn({ event: 'worker_restart', service: handle.spec.name, code, restarts, delay_ms: delay }, `worker for "${handle.spec.name}" died (code ${code}); restarting in ${delay}ms`);
    restartTimer = setTimeout(() => {
      if (stopping) return;
      spawn().catch((err: Error) => {
        logger.error({ event: 'worker_restart_failed', service: handle.spec.name, err: err.message }, 'restart failed');
        if (!stopping) scheduleRestart(1);
      });
    }, delay);
  }

  function request(message: ToWorker & { id: number }): Promise<FromWorker | undefined> {
    const w = worker;
    if (!w) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const valid = checked(message);
      pending.set(message.id, resolve);
      w.postMessage(valid);
    });
  }

  const handle: WorkerHandle = {
    get state() {
      return state;
    },
    get stateReason() {
      return stateReason;
    },
    get address() {
      return address;
    },
    get threadId() {
      return worker?.threadId;
    },
    get restarts() {
      return restarts;
    },
    get startedAt() {
      return startedAt;
    },
    get stats() {
      return merged();
    },
    spec: options.spec,
    start: () => spawn(),
    async reload(spec, material) {
      handle.spec = spec;
      const reply = await request({ type: 'reload', id: nextId++, spec: address ? { ...spec, listen: address } : spec, material });
      if (!reply || reply.type !== 'reloaded') return { applied: [], error: 'worker not running; the new settings apply when it restarts' };
      return { applied: reply.applied, ...(reply.error ? { error: reply.error.fix ? `${reply.error.message} (fix: ${reply.error.fix})` : reply.error.message } : {}) };
    },
    async revoke(serials) {
      const reply = await request({ type: 'revoke', id: nextId++, serials });
      return reply?.type === 'revoked' ? reply.closed : 0;
    },
    async acmeChallenge(domain, pems) {
      await request({ type: 'acme_challenge', id: nextId++, domain, ...(pems ? { cert_pem: pems.certPem, key_pem: pems.keyPem } : {}) });
    },
    post(message) {
      worker?.postMessage(checked(message));
    },
    async stop(drainMs) {
      if (stopping) return;
      stopping = true;
      clearTimeout(restartTimer);
      const w = worker;
      if (!w) {
        setState('stopped');
        return;
      }
      setState('stopping');
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      const done = new Promise<FromWorker | undefined>((resolve) => (drained = resolve));
      w.postMessage(checked({ type: 'drain', deadline_ms: drainMs }));
      let timer: NodeJS.Timeout | undefined;
      const reply = await Promise.race([done, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), drainMs + 2_000)))]);
      clearTimeout(timer);
      if (reply?.type === 'drained' && reply.forced > 0) {
        logger.warn({ event: 'drain_forced', service: handle.spec.name, forced: reply.forced }, `cut ${reply.forced} connection(s) still open at the drain deadline`);
      }
      await w.terminate();
      await exited;
      setState('stopped');
    },
  };
  return handle;
}
