/**
 * The relay's own list requests to the backend, so pins are checked at every
 * session start and after every `list_changed` even if the agent never lists:
 * a call that arrives while a check is running waits for it. The requests use
 * ids of their own (`tlsmcp-pin:N`) and their answers never reach the agent.
 * Pages are followed up to a bound.
 */
import type { JSONRPCMessage, ResponseView } from './jsonrpc.js';
import { PIN_LISTS, type PinKind } from './pinning-hash.js';
import type { SessionPinning } from './pinning.js';

const PREFIX = 'tlsmcp-pin:';
const MAX_PAGES = 50;

export interface PinProbe {
  /** Lists `kind` from the backend and checks it; a check already running is replaced. */
  start(kind: PinKind): void;
  /** Resolves when no check of `kind` is running (or after `timeoutMs`). */
  settled(kind: PinKind): Promise<void>;
  /** Consumes the answer to one of the probe's own requests; false for any other message. */
  handle(response: ResponseView): boolean;
  /** The kinds a backend's `initialize` result says it can list. */
  kindsOf(capabilities: Record<string, unknown> | undefined): PinKind[];
  close(): void;
}

export interface PinProbeOptions {
  pinning: SessionPinning;
  send: (message: JSONRPCMessage) => Promise<void>;
  timeoutMs?: number;
}

interface Running {
  kind: PinKind;
  items: Record<string, unknown>[];
  pages: number;
  done: () => void;
  promise: Promise<void>;
  timer: NodeJS.Timeout;
}

export function createPinProbe({ pinning, send, timeoutMs = 10_000 }: PinProbeOptions): PinProbe {
  let next = 0;
  const byId = new Map<string, Running>();
  const byKind = new Map<PinKind, Running>();

  const finish = (run: Running) => {
    clearTimeout(run.timer);
    if (byKind.get(run.kind) === run) byKind.delete(run.kind);
    run.done();
  };

  const request = (run: Running, cursor?: string) => {
    const id = `${PREFIX}${++next}`;
    byId.set(id, run);
    const message = { jsonrpc: '2.0', id, method: PIN_LISTS[run.kind].method, params: cursor ? { cursor } : {} } as JSONRPCMessage;
    send(message).catch(() => {
      byId.delete(id);
      finish(run);
    });
  };

  return {
    start(kind) {
      const previous = byKind.get(kind);
      if (previous) finish(previous);
      let done!: () => void;
      const promise = new Promise<void>((resolve) => (done = resolve));
      const run: Running = { kind, items: [], pages: 0, done, promise, timer: setTimeout(() => finish(run), timeoutMs) };
      run.timer.unref();
      byKind.set(kind, run);
      request(run);
    },
    settled: (kind) => byKind.get(kind)?.promise ?? Promise.resolve(),
    handle(response) {
      if (typeof response.id !== 'string' || !response.id.startsWith(PREFIX)) return false;
      const run = byId.get(response.id);
      byId.delete(response.id);
      if (!run || byKind.get(run.kind) !== run) return true;
      const list = response.result?.[PIN_LISTS[run.kind].field];
      if (Array.isArray(list)) run.items.push(...(list as Record<string, unknown>[]));
      const cursor = response.result?.nextCursor;
      run.pages += 1;
      if (typeof cursor === 'string' && cursor && run.pages < MAX_PAGES) {
        request(run, cursor);
        return true;
      }
      if (!response.error) pinning.filter(run.kind, run.items, run.pages < MAX_PAGES);
      finish(run);
      return true;
    },
    kindsOf(capabilities) {
      const kinds: PinKind[] = [];
      if (capabilities?.tools) kinds.push('tool');
      if (capabilities?.prompts) kinds.push('prompt');
      if (capabilities?.resources) kinds.push('template');
      return kinds;
    },
    close() {
      for (const run of byKind.values()) finish(run);
      byId.clear();
    },
  };
}
