/**
 * A client-side MCP transport that survives its link going away: a crashed stdio
 * backend, a dropped SSE stream, an HTTP session the server forgot. It opens a
 * fresh inner transport with backoff and replays the MCP handshake (the recorded
 * `initialize` request, under an id of its own whose answer is swallowed, then
 * `notifications/initialized`), so the agent's session carries on. Requests in
 * flight when the link broke can never be answered: `ondisrupt` tells the owner so
 * it can fail them rather than leave the agent waiting. After too many restarts
 * in a window it gives up and closes. Each incarnation of the backend gets its own
 * id space for server-to-client requests (server-request-ids.ts), and the
 * session's log level and subscriptions are re-applied after a restart
 * (session-state.ts).
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../logger.js';
import { asNotification, asRequest, asResponse, type JSONRPCMessage, type RequestId } from './jsonrpc.js';
import { createServerRequestIds } from './server-request-ids.js';
import { createSessionState } from './session-state.js';

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this many restarts within `windowMs`. */
  maxRestarts: number;
  windowMs: number;
  /** How long the replayed `initialize` may take. */
  replayTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  maxRestarts: 5,
  windowMs: 60_000,
  replayTimeoutMs: 30_000,
};

export interface ResilientTransportOptions {
  /** Makes a fresh, unstarted inner transport. */
  create: () => Transport;
  logger: Logger;
  /** For log lines: "backend of service files". */
  label: string;
  restart?: Partial<RestartPolicy>;
  /** A send() failure that means the remote session is gone: reconnect and resend. */
  isSessionLost?: (err: unknown) => boolean;
  /** An onerror report that means the inner transport is dead although it did not close. */
  isStreamLost?: (err: Error) => boolean;
  /** A failure not worth retrying (e.g. the certificate was refused): give up at once. */
  isFatal?: (err: unknown) => boolean;
  /** Words for a failure, in give-up reasons. */
  describeError?: (err: unknown) => string;
  /**
   * While reconnecting, hold messages and send them once the link is back (true,
   * the default: a restarted child is quick), or refuse them at once so the caller
   * can answer "reconnecting" instead of making the agent wait (false).
   */
  queueWhileRestarting?: boolean;
  clock?: () => number;
}

export interface ResilientTransport extends Transport {
  /**
   * The link broke: requests in flight will not be answered, except those in
   * `resending`, which will be sent again on the new link.
   */
  ondisrupt?: ((reason: string, resending: JSONRPCMessage[]) => void) | undefined;
  /** Why it gave up, once it has. */
  readonly failure: string | undefined;
  readonly restarts: number;
}

type State = 'idle' | 'up' | 'restarting' | 'failed' | 'closed';

const plainDescribe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createResilientTransport(options: ResilientTransportOptions): ResilientTransport {
  const describe = options.describeError ?? plainDescribe;
  let lastReason = '';
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
  const clock = options.clock ?? Date.now;
  const log = options.logger;
  let state: State = 'idle';
  let inner: Transport | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failure: string | undefined;
  let protocolVersion: string | undefined;
  let initRequest: JSONRPCMessage | undefined;
  let initRequestId: RequestId | undefined;
  let initDone = false;
  let initializedNotification: JSONRPCMessage | undefined;
  let restartTimes: number[] = [];
  let restarts = 0;
  let queue: JSONRPCMessage[] = [];
  let replay: { id: string; resolve: () => void; reject: (err: Error) => void } | undefined;
  let closeNotified = false;
  const serverRequests = createServerRequestIds();
  const sessionState = createSessionState();

  /** The dead incarnation's open server-to-client requests are cancelled towards the client. */
  const retireIncarnation = (reason: string) => {
    for (const note of serverRequests.retire(`${options.label}: ${reason}`)) self.onmessage?.(note);
  };

  const notifyClose = () => {
    if (closeNotified) return;
    closeNotified = true;
    self.onclose?.();
  };

  const giveUp = (reason: string) => {
    if (state === 'closed' || state === 'failed') return;
    state = 'failed';
    failure = reason;
    queue = [];
    log.warn({ target: options.label, reason }, 'MCP link given up');
    notifyClose();
  };

  const detach = (t: Transport | undefined) => {
    if (!t) return;
    t.onclose = undefined;
    t.onmessage = undefined;
    t.onerror = undefined;
    t.close().catch(() => undefined);
  };

  /** The give-up reason when the restart budget is spent, else undefined. */
  const budgetSpent = (reason: string): string | undefined => {
    const now = clock();
    restartTimes = restartTimes.filter((t) => now - t < policy.windowMs);
    if (restartTimes.length < policy.maxRestarts) return undefined;
    return `${reason}; gave up after ${restartTimes.length} restarts within ${policy.windowMs} ms`;
  };

  const disrupt = (reason: string, cause?: unknown) => {
    if (state !== 'up' && state !== 'idle') return;
    state = 'restarting';
    lastReason = reason;
    detach(inner);
    inner = undefined;
    const final = cause !== undefined && options.isFatal?.(cause) ? reason : budgetSpent(reason);
    log.warn({ target: options.label, reason }, 'MCP link lost');
    self.ondisrupt?.(final ?? `${reason}; reconnecting`, final ? [] : [...queue]);
    retireIncarnation(reason);
    if (final) return giveUp(final);
    scheduleRestart(reason);
  };

  const scheduleRestart = (reason: string) => {
    const spent = budgetSpent(reason);
    if (spent) return giveUp(spent);
    const delay = Math.min(policy.initialDelayMs * 2 ** restartTimes.length, policy.maxDelayMs);
    restartTimes.push(clock());
    timer = setTimeout(() => {
      timer = undefined;
      void restart();
    }, delay);
  };

  const restart = async () => {
    if (state !== 'restarting') return;
    try {
      await connect();
      if (initRequest && initDone) {
        await replayHandshake();
        for (const message of sessionState.replay(restarts + 1)) await inner?.send(message);
      }
      if (state !== 'restarting') return;
      state = 'up';
      restarts += 1;
      log.info({ target: options.label, restarts }, 'MCP link restored');
      const pending = queue;
      queue = [];
      for (const message of pending) await forward(message);
    } catch (err) {
      if (state !== 'restarting') return;
      detach(inner);
      inner = undefined;
      lastReason = describe(err);
      retireIncarnation(lastReason);
      if (options.isFatal?.(err)) return giveUp(lastReason);
      scheduleRestart(lastReason);
    }
  };

  const replayHandshake = async () => {
    const t = inner;
    if (!t || !initRequest) return;
    const id = `tlsmcp-reinit-${restarts + 1}`;
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`replayed initialize unanswered after ${policy.replayTimeoutMs} ms`)), policy.replayTimeoutMs);
      replay = {
        id,
        resolve: () => (clearTimeout(timeout), resolve()),
        reject: (err) => (clearTimeout(timeout), reject(err)),
      };
      t.send({ ...(initRequest as object), id } as JSONRPCMessage).catch((err: unknown) => replay?.reject(err instanceof Error ? err : new Error(String(err))));
    }).finally(() => (replay = undefined));
    if (protocolVersion) t.setProtocolVersion?.(protocolVersion);
    if (initializedNotification) await t.send(initializedNotification);
  };

  const connect = async () => {
    const t = options.create();
    inner = t;
    t.onmessage = (message) => {
      if (t !== inner) return;
      const response = asResponse(message);
      if (response && replay && response.id === replay.id) {
        if (response.error) replay.reject(new Error(`replayed initialize refused: ${response.error.message}`));
        else replay.resolve();
        return;
      }
      if (response && sessionState.isReplayAnswer(response.id)) {
        if (response.error) log.warn({ target: options.label, err: response.error.message }, 'session state not restored after restart');
        return;
      }
      const request = asRequest(message);
      if (request) return self.onmessage?.(serverRequests.outbound({ ...message, id: request.id } as JSONRPCMessage & { id: RequestId }));
      if (response && initRequestId !== undefined && response.id === initRequestId && response.result) {
        initDone = true;
        const version = response.result.protocolVersion;
        if (typeof version === 'string') protocolVersion = version;
      }
      self.onmessage?.(message);
    };
    t.onerror = (err) => {
      if (t !== inner) return;
      if (state === 'up' && options.isStreamLost?.(err)) return disrupt(describe(err), err);
      self.onerror?.(err);
    };
    t.onclose = () => {
      if (t !== inner) return;
      if (state === 'closed') return;
      if (state === 'restarting') replay?.reject(new Error(`${options.label} closed during restart`));
      if (state === 'up' || state === 'idle') disrupt(`${options.label} closed`);
    };
    await t.start();
    if (protocolVersion && initDone) t.setProtocolVersion?.(protocolVersion);
  };

  const forward = async (message: JSONRPCMessage, sendOptions?: TransportSendOptions) => {
    const t = inner;
    if (!t || state !== 'up') {
      queue.push(message);
      return;
    }
    try {
      await t.send(message, sendOptions);
    } catch (err) {
      if (t === inner && initDone && options.isSessionLost?.(err)) {
        queue.push(message);
        disrupt(`session lost: ${describe(err)}`, err);
        return;
      }
      throw err;
    }
  };

  const self: ResilientTransport = {
    get failure() {
      return failure;
    },
    get restarts() {
      return restarts;
    },
    get sessionId() {
      return inner?.sessionId;
    },
    async start() {
      if (state !== 'idle') throw new Error(`${options.label}: already started`);
      await connect();
      state = 'up';
    },
    async send(message, sendOptions) {
      if (state === 'failed') throw new Error(`${options.label} is unavailable: ${failure}`);
      if (state === 'closed') throw new Error(`${options.label} is closed`);
      const response = asResponse(message);
      if (response) {
        const current = serverRequests.inbound({ ...message, id: response.id } as JSONRPCMessage & { id: RequestId });
        if (!current) {
          log.debug({ target: options.label, id: response.id }, 'answer to a request of a backend that is gone: dropped');
          return;
        }
        message = current;
      }
      sessionState.record(message);
      const request = asRequest(message);
      if (request?.method === 'initialize') {
        initRequest = message;
        initRequestId = request.id;
      } else if (asNotification(message)?.method === 'notifications/initialized') {
        initializedNotification = message;
      }
      if (state === 'restarting') {
        if (options.queueWhileRestarting === false) throw new Error(`${options.label} is reconnecting (${lastReason})`);
        queue.push(message);
        return;
      }
      await forward(message, sendOptions);
    },
    setProtocolVersion(version) {
      protocolVersion = version;
      inner?.setProtocolVersion?.(version);
    },
    async close() {
      if (state === 'closed') return;
      const wasFailed = state === 'failed';
      state = 'closed';
      if (timer) clearTimeout(timer);
      replay?.reject(new Error('closed'));
      const t = inner;
      inner = undefined;
      if (t) {
        t.onclose = undefined;
        await t.close().catch(() => undefined);
      }
      if (!wasFailed) notifyClose();
    },
  };
  return self;
}
