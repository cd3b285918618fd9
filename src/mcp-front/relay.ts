/**
 * The JSON-RPC relay at the heart of the MCP front: pairs one agent-facing
 * transport with one backend transport and passes every message through as it
 * is, both ways (requests, responses, notifications, server-to-client requests
 * such as sampling and elicitation). It intervenes in only four places:
 *  - `tools/call`, `resources/read`, `resources/subscribe`, `prompts/get` the agent may not make
 *    are answered with a JSON-RPC error here and never reach the backend;
 *  - `tools/list`, `resources/list` and `prompts/list` results are filtered to what the agent may use;
 *  - every request is audited with its outcome and latency;
 *  - requests the backend can no longer answer (it crashed, the link dropped)
 *    are failed with an error instead of being left to hang;
 *  - with pinning (./pinning.ts), list answers are checked against the pins and
 *    held-back definitions left out and refused, and with a rate limit
 *    (./rate-limit.ts), calls over the agent's budget are refused with a retry hint.
 *  - a request the agent cancels is closed here (see cancellation.ts).
 */
import { performance } from 'node:perf_hooks';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../logger.js';
import type { AuditEvent } from '../state/audit-log.js';
import { mcpRequestEvent, type AuditContext, type Outcome } from './audit.js';
import {
  asNotification,
  asRequest,
  asResponse,
  errorResponse,
  progressTokenOf,
  RPC_ERRORS,
  type JSONRPCMessage,
  type RequestId,
  type RequestView,
} from './jsonrpc.js';
import type { PinKind } from './pinning-hash.js';
import { createPinProbe, type PinProbe } from './pinning-probe.js';
import type { SessionPinning } from './pinning.js';
import type { AgentPolicy, PermissionKind } from './policy.js';
import type { RateVerdict } from './rate-limit.js';
import type { ResilientTransport } from './resilient-transport.js';
import { cancelledReason, cancelledRequestId, closeRequestStream, createCancelledSet } from './cancellation.js';

export interface RelayOptions {
  /** The agent side: a server transport (Streamable HTTP, SSE or stdio). */
  front: Transport;
  /** The MCP server side: a client transport. */
  backend: Transport | ResilientTransport;
  policy: AgentPolicy;
  /** Omit to audit nothing (the `tlsmcp connect` bridge). */
  audit?: { context: AuditContext; append: (event: AuditEvent) => void } | undefined;
  logger: Logger;
  /** For messages: "service files" or "https://host:8443/mcp". */
  label: string;
  /** When the backend is gone for good: end the session, or answer each request with the reason. */
  whenBackendGone?: 'close' | 'reject';
  /** Turns a backend send failure into the message an agent sees. */
  describeError?: (err: unknown) => string | Promise<string>;
  now?: () => Date;
  /**
   * Whether the agent side always has a stream for server-initiated messages
   * ('always': stdio, legacy SSE) or only while the agent holds one open
   * ('on-demand': Streamable HTTP's GET stream, see streamOpened/streamClosed).
   * On demand, a message tied to no open request waits for the next stream
   * rather than being dropped.
   */
  serverStream?: 'always' | 'on-demand';
  /** Tool-definition pinning for this session; omit for none. */
  pinning?: SessionPinning | undefined;
  /** Takes one call from this agent's budget (tools/call, resources/read, prompts/get); omit for no limit. */
  rateLimit?: (() => RateVerdict) | undefined;
}

export interface Relay {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
  /** Requests sent on and not yet answered. */
  readonly inFlight: number;
  /** Server-initiated messages waiting for the agent to open a stream. */
  readonly held: number;
  onclose?: (() => void) | undefined;
  /** The agent opened its stream for server-initiated messages (Streamable HTTP GET). */
  streamOpened(): void;
  streamClosed(): void;
}

/** Server-initiated messages kept for an agent with no open stream, at most. */
const MAX_HELD = 1_000;

interface Pending {
  request: RequestView;
  started: number;
  progressToken: string | number | undefined;
}

const keyOf = (id: RequestId) => `${typeof id}:${String(id)}`;
const defaultDescribe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Which permission a request needs, if any. */
function permissionFor(request: RequestView): { kind: PermissionKind; name: string } | undefined {
  const p = request.params;
  if (request.method === 'tools/call') return { kind: 'tool', name: typeof p?.name === 'string' ? p.name : '' };
  if (request.method === 'resources/read' || request.method === 'resources/subscribe') {
    return { kind: 'resource', name: typeof p?.uri === 'string' ? p.uri : '' };
  }
  if (request.method === 'prompts/get') return { kind: 'prompt', name: typeof p?.name === 'string' ? p.name : '' };
  return undefined;
}

/** tools/list and resources/list results, minus what this agent may not use. */
function filterListResult(method: string, message: JSONRPCMessage, policy: AgentPolicy): JSONRPCMessage {
  const m = message as { result?: Record<string, unknown> };
  const result = m.result;
  if (!result) return message;
  const filter = (field: string, kind: PermissionKind, nameOf: (item: Record<string, unknown>) => unknown) => {
    const items = result[field];
    if (!Array.isArray(items)) return message;
    const kept = items.filter((item: Record<string, unknown>) => policy.decide(kind, String(nameOf(item) ?? '')).allowed);
    if (kept.length === items.length) return message;
    return { ...message, result: { ...result, [field]: kept } } as JSONRPCMessage;
  };
  if (method === 'tools/list') return filter('tools', 'tool', (t) => t.name);
  if (method === 'resources/list') return filter('resources', 'resource', (r) => r.uri);
  if (method === 'prompts/list') return filter('prompts', 'prompt', (r) => r.name);
  return message;
}

/** The pinned kind a list method answers or a call uses. */
const LIST_KIND: Record<string, PinKind> = { 'tools/list': 'tool', 'prompts/list': 'prompt', 'resources/templates/list': 'template' };
const LIST_FIELD: Record<PinKind, string> = { tool: 'tools', prompt: 'prompts', template: 'resourceTemplates' };
const CALL_KIND: Record<string, PinKind> = { 'tools/call': 'tool', 'prompts/get': 'prompt' };
const CHANGED_KIND: Record<string, PinKind> = {
  'notifications/tools/list_changed': 'tool',
  'notifications/prompts/list_changed': 'prompt',
  'notifications/resources/list_changed': 'template',
};

/** A list result with held-back definitions left out. */
function pinListResult(pinning: SessionPinning, request: RequestView, message: JSONRPCMessage): JSONRPCMessage {
  const kind = LIST_KIND[request.method];
  const result = (message as { result?: Record<string, unknown> }).result;
  if (!kind || !result) return message;
  const items = result[LIST_FIELD[kind]];
  if (!Array.isArray(items)) return message;
  const complete = request.params?.cursor === undefined && result.nextCursor === undefined;
  const kept = pinning.filter(kind, items as Record<string, unknown>[], complete);
  if (kept.length === items.length) return message;
  return { ...message, result: { ...result, [LIST_FIELD[kind]]: kept } } as JSONRPCMessage;
}

export function createRelay(options: RelayOptions): Relay {
  const { front, backend, policy, logger } = options;
  const now = options.now ?? (() => new Date());
  const describeError = options.describeError ?? defaultDescribe;
  const clientPending = new Map<string, Pending>();
  const serverPending = new Map<string, Pending>();
  const progress = new Map<string | number, RequestId>();
  let closed = false;
  let backendGone: string | undefined;
  let streamOpen = options.serverStream !== 'on-demand';
  let held: JSONRPCMessage[] = [];
  const pinning = options.pinning && options.pinning.mode !== 'off' ? options.pinning : undefined;
  const probe: PinProbe | undefined = pinning ? createPinProbe({ pinning, send: (m) => backend.send(m) }) : undefined;
  let initializeId: string | undefined;
  let probeKinds: PinKind[] = [];
  const cancelled = createCancelledSet();

  /** Sends server-initiated messages kept while no stream was open, on `related`'s stream or the standalone one. */
  const flushHeld = (related?: RequestId) => {
    if (held.length === 0) return;
    const messages = held;
    held = [];
    for (const message of messages) toClient(message, related !== undefined ? { relatedRequestId: related } : undefined);
  };

  /** A server-initiated message: on the stream of a related open request, else the standalone stream, else held. */
  const toClientUnprompted = (message: JSONRPCMessage, related: RequestId | undefined) => {
    if (related !== undefined) return toClient(message, { relatedRequestId: related });
    if (streamOpen) return toClient(message);
    if (held.length >= MAX_HELD) held.shift();
    held.push(message);
  };

  const audit = (request: RequestView, direction: 'client_to_server' | 'server_to_client', outcome: Outcome, started: number, reason?: string) => {
    if (!options.audit) return;
    options.audit.append(
      mcpRequestEvent(options.audit.context, { request, direction, outcome, latencyMs: performance.now() - started, reason, time: now() }),
    );
  };

  const toClient = (message: JSONRPCMessage, sendOptions?: TransportSendOptions) => {
    if (closed) return;
    front.send(message, sendOptions).catch((err: unknown) => logger.debug({ err: defaultDescribe(err), target: options.label }, 'message to agent not delivered'));
  };

  const settle = (key: string): Pending | undefined => {
    const entry = clientPending.get(key);
    if (!entry) return undefined;
    clientPending.delete(key);
    if (entry.progressToken !== undefined) progress.delete(entry.progressToken);
    return entry;
  };

  /** Answers a request the backend will never answer, with the reason. */
  const fail = (id: RequestId, code: number, message: string) => {
    const entry = settle(keyOf(id));
    if (entry) audit(entry.request, 'client_to_server', 'error', entry.started, message);
    toClient(errorResponse(id, code, message));
  };

  const failAllPending = (reason: string, resending: JSONRPCMessage[] = []) => {
    const kept = new Set(resending.map((m) => asRequest(m)).filter((r) => r !== undefined).map((r) => keyOf(r.id)));
    for (const entry of [...clientPending.values()]) {
      if (kept.has(keyOf(entry.request.id))) continue;
      fail(entry.request.id, RPC_ERRORS.backendUnavailable, `${options.label}: ${reason}; request ${entry.request.method} was not answered`);
    }
    serverPending.clear();
  };

  /** The stream a server-initiated message should ride on: the newest open request's. */
  const relatedRequest = (): RequestId | undefined => {
    let newest: Pending | undefined;
    for (const entry of clientPending.values()) if (!newest || entry.started >= newest.started) newest = entry;
    return newest?.request.id;
  };

  /** A message tied to no request: the standalone stream when open, else an open request's stream, else held. */
  const unrelatedRoute = (): RequestId | undefined => (streamOpen ? undefined : relatedRequest());

  const fromClient = async (message: JSONRPCMessage) => {
    const request = asRequest(message);
    const cancelledId = cancelledRequestId(message);
    if (cancelledId !== undefined) {
      const entry = settle(keyOf(cancelledId));
      if (entry) {
        cancelled.add(keyOf(cancelledId));
        audit(entry.request, 'client_to_server', 'cancelled', entry.started, cancelledReason(message));
        closeRequestStream(front, cancelledId);
      }
    }
    if (!request) {
      const response = asResponse(message);
      if (response) {
        const entry = serverPending.get(keyOf(response.id));
        if (entry) {
          serverPending.delete(keyOf(response.id));
          audit(entry.request, 'server_to_client', response.error ? 'error' : 'ok', entry.started, response.error?.message);
        }
      }
      if (backendGone) return;
      await backend.send(message).catch((err: unknown) => logger.debug({ err: defaultDescribe(err), target: options.label }, 'message to backend not delivered'));
      // Pins are checked at every session start, whether or not the agent lists.
      if (probe && asNotification(message)?.method === 'notifications/initialized') for (const kind of probeKinds) probe.start(kind);
      return;
    }
    const started = performance.now();
    if (request.method === 'initialize') initializeId = keyOf(request.id);
    const needed = permissionFor(request);
    if (needed) {
      const decision = policy.decide(needed.kind, needed.name);
      if (!decision.allowed) {
        audit(request, 'client_to_server', 'denied', started, decision.reason);
        toClient(errorResponse(request.id, RPC_ERRORS.forbidden, `Forbidden: ${decision.reason}`, { permission: decision.permission, code: 'ERR_FORBIDDEN' }));
        return;
      }
      const verdict = options.rateLimit?.();
      if (verdict && !verdict.allowed) {
        const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
        const reason = `rate limit of ${verdict.limit?.calls_per_minute ?? '?'} calls per minute (burst ${verdict.limit?.burst ?? verdict.limit?.calls_per_minute ?? '?'}) reached for this certificate on ${options.label}; retry after ${seconds} s`;
        audit(request, 'client_to_server', 'rate_limited', started, reason);
        toClient(
          errorResponse(request.id, RPC_ERRORS.rateLimited, `Rate limited: ${reason}`, {
            code: 'ERR_RATE_LIMITED',
            retry_after_ms: verdict.retryAfterMs,
            retry_after_s: seconds,
            fix: `wait ${seconds} s before the next call, or ask the operator to raise rate_limit for this identity`,
          }),
        );
        return;
      }
    }
    const callKind = CALL_KIND[request.method] ?? (request.method === 'resources/read' ? 'template' : undefined);
    if (probe && pinning && callKind) {
      await probe.settled(callKind);
      const refusal = callKind === 'template' ? pinning.uriRefusal(needed?.name ?? '') : pinning.refusal(callKind, needed?.name ?? '');
      if (refusal) {
        audit(request, 'client_to_server', 'denied', started, refusal.message);
        toClient(errorResponse(request.id, RPC_ERRORS.definitionChanged, refusal.message, refusal.data));
        return;
      }
    }
    const progressToken = progressTokenOf(request.params);
    clientPending.set(keyOf(request.id), { request, started, progressToken });
    if (progressToken !== undefined) progress.set(progressToken, request.id);
    flushHeld(request.id);
    if (backendGone) return fail(request.id, RPC_ERRORS.backendUnavailable, `${options.label} is unavailable: ${backendGone}`);
    try {
      await backend.send(message);
    } catch (err) {
      fail(request.id, RPC_ERRORS.backendUnavailable, await describeError(err));
    }
  };

  const fromBackend = (message: JSONRPCMessage) => {
    const response = asResponse(message);
    if (response) {
      if (probe?.handle(response)) return;
      const key = keyOf(response.id);
      if (cancelled.take(key)) return;
      if (probe && key === initializeId) {
        initializeId = undefined;
        probeKinds = probe.kindsOf(response.result?.capabilities as Record<string, unknown> | undefined);
      }
      const entry = settle(key);
      let out = message;
      if (entry) {
        if (response.result && pinning) out = pinListResult(pinning, entry.request, out);
        if (response.result) out = filterListResult(entry.request.method, out, policy);
        const toolError = entry.request.method === 'tools/call' && response.result?.isError === true;
        const outcome: Outcome = response.error || toolError ? 'error' : 'ok';
        audit(entry.request, 'client_to_server', outcome, entry.started, response.error?.message ?? (toolError ? 'tool returned isError' : undefined));
      }
      toClient(out);
      return;
    }
    const request = asRequest(message);
    if (request) {
      serverPending.set(keyOf(request.id), { request, started: performance.now(), progressToken: undefined });
      toClientUnprompted(message, unrelatedRoute());
      return;
    }
    const note = asNotification(message);
    const changedKind = note ? CHANGED_KIND[note.method] : undefined;
    if (probe && changedKind && probeKinds.includes(changedKind)) probe.start(changedKind);
    let related: RequestId | undefined;
    if (note?.method === 'notifications/progress') {
      const token = note.params?.progressToken;
      related = typeof token === 'string' || typeof token === 'number' ? progress.get(token) : undefined;
    }
    toClientUnprompted(message, related ?? unrelatedRoute());
  };

  const relay: Relay = {
    get closed() {
      return closed;
    },
    get inFlight() {
      return clientPending.size;
    },
    get held() {
      return held.length;
    },
    streamOpened() {
      streamOpen = true;
      flushHeld();
    },
    streamClosed() {
      if (options.serverStream === 'on-demand') streamOpen = false;
    },
    async start() {
      front.onmessage = (message) => void fromClient(message);
      front.onclose = () => void relay.close();
      front.onerror = (err) => logger.debug({ err: err.message, target: options.label }, 'agent transport error');
      backend.onmessage = (message) => fromBackend(message);
      backend.onerror = (err) => logger.debug({ err: err.message, target: options.label }, 'backend transport error');
      (backend as ResilientTransport).ondisrupt = (reason, resending) => failAllPending(reason, resending);
      backend.onclose = () => {
        if (closed) return;
        const reason = (backend as ResilientTransport).failure ?? 'backend closed';
        failAllPending(reason);
        if (options.whenBackendGone === 'reject') {
          backendGone = reason;
          logger.error({ target: options.label, reason }, 'MCP backend unavailable');
        } else {
          void relay.close();
        }
      };
      await backend.start();
      await front.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      probe?.close();
      clientPending.clear();
      serverPending.clear();
      progress.clear();
      cancelled.clear();
      held = [];
      await Promise.allSettled([front.close(), backend.close()]);
      relay.onclose?.();
    },
  };
  return relay;
}
