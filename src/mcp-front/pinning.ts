/**
 * Tool-definition pinning for one MCP front service (issue 17). Every list of
 * tools, prompts or resource templates the backend serves to a session is
 * compared with the pins: on first contact the definitions are pinned as they
 * are; afterwards a changed, new or removed definition is recorded (pin file,
 * audit event `tool_definition_changed`, counter). In `block` mode a changed or
 * new definition is left out of what the agent sees and calls to it are
 * refused with what changed and how to approve it; `warn` passes it.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Logger } from '../logger.js';
import { mcpCounterKey, type McpCounter } from '../protocol/mcp-counters.js';
import type { AuditEvent } from '../state/audit-log.js';
import { compare, observe, record, worthRecording, type Change, type HashCache } from './pinning-compare.js';
import { PIN_LISTS, type PinKind } from './pinning-hash.js';
import { pinKey, type PinStore } from './pinning-store.js';

export type PinningMode = 'block' | 'warn' | 'off';

export interface PinningAgent {
  session: string;
  cn?: string | undefined;
  serial?: string | undefined;
}

export interface PinRefusal {
  message: string;
  data: Record<string, unknown>;
}

export interface SessionPinning {
  readonly mode: PinningMode;
  /** The items of a list result this agent may see; records what changed. `complete`: not a page of a paginated list. */
  filter(kind: PinKind, items: readonly Record<string, unknown>[], complete: boolean): Record<string, unknown>[];
  /** Why a call to this tool or prompt is refused, if it is. */
  refusal(kind: PinKind, name: string): PinRefusal | undefined;
  /** Why a `resources/read` of this URI is refused: it matches a held-back resource template. */
  uriRefusal(uri: string): PinRefusal | undefined;
  /** Whether this session has checked a list of this kind yet. */
  checked(kind: PinKind): boolean;
}

export interface ServicePinning {
  readonly mode: PinningMode;
  session(agent: PinningAgent): SessionPinning;
  /** Totals, and `counters` by their metric labels (src/protocol/mcp-counters.ts) for Prometheus. */
  stats(): { changes: number; refused: number; counters: Record<string, number> };
}

export interface ServicePinningOptions {
  service: string;
  mode: PinningMode;
  store: PinStore;
  audit: (event: AuditEvent) => void;
  logger: Logger;
  now?: () => Date;
}

const NOUN: Record<PinKind, string> = { tool: 'tool', prompt: 'prompt', template: 'resource template' };

export function createServicePinning(options: ServicePinningOptions): ServicePinning {
  const { service, mode, store, logger } = options;
  const now = options.now ?? (() => new Date());
  const counts = { changes: 0, refused: 0 };
  const counters: Record<string, number> = {};
  // `tool` is a name the backend listed, never one only the agent sent: the labels stay bounded.
  const count = (c: McpCounter) => {
    const key = mcpCounterKey(c);
    counters[key] = (counters[key] ?? 0) + 1;
  };
  const hashes: HashCache = new Map();
  const pinnedHash = (kind: PinKind, name: string) => {
    try {
      return store.read().pins[pinKey(kind, name)]?.hash;
    } catch {
      return undefined;
    }
  };
  const approveHint = (name: string) => `tlsmcp mcp pins approve ${service} --tool ${name} (or the tlsmcp_mcp_pins tool, action "approve")`;

  const persist = (kind: PinKind, items: ReturnType<typeof observe>, complete: boolean, agent: string) => {
    store
      .update((file) => void record(file, kind, items, complete, agent, now().toISOString()))
      .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err), service }, 'could not record MCP pins'));
  };

  return {
    mode,
    stats: () => ({ ...counts, counters: { ...counters } }),
    session(agent) {
      const who = agent.cn ?? (agent.serial ? `serial ${agent.serial}` : 'unknown agent');
      /** Per kind: name → hash of the definition this session was last served, and whether it was held back. */
      const seen = new Map<PinKind, Map<string, { hash: string; held?: Change }>>();
      const reported = new Set<string>();

      const auditChange = (c: Change) => {
        const id = `${c.kind}:${c.name}:${c.change}:${c.new_hash ?? ''}`;
        if (reported.has(id)) return;
        reported.add(id);
        counts.changes += 1;
        count({ metric: 'definition_changes', kind: c.kind, tool: c.name, outcome: c.change });
        options.audit({
          time: now().toISOString(),
          kind: 'tool_definition_changed',
          service,
          result: mode === 'block' && c.change !== 'removed' ? 'held_back' : 'recorded',
          definition_kind: c.kind,
          tool: c.name,
          change: c.change,
          ...(c.old_hash ? { old_hash: c.old_hash } : {}),
          ...(c.new_hash ? { new_hash: c.new_hash } : {}),
          diff: c.diff,
          session: agent.session,
          ...(agent.cn !== undefined ? { peer_cn: agent.cn } : {}),
          ...(agent.serial !== undefined ? { serial: agent.serial } : {}),
        });
        logger.warn({ service, kind: c.kind, name: c.name, change: c.change, diff: c.diff, agent: who }, `pinned MCP ${NOUN[c.kind]} definition changed`);
      };

      return {
        mode,
        checked: (kind) => seen.has(kind),
        filter(kind, items, complete) {
          if (mode === 'off') return [...items];
          const observed = observe(kind, items, hashes);
          let file: ReturnType<PinStore['read']>;
          try {
            file = store.read();
          } catch (err) {
            // An unreadable pin file is never overwritten; block fails closed (nothing listed, calls refused), warn passes.
            logger.error({ err: err instanceof Error ? err.message : String(err), service }, 'MCP pins unreadable');
            seen.set(kind, new Map());
            return mode === 'block' ? [] : [...items];
          }
          const result = compare(file, kind, observed, complete);
          const view = complete || !seen.has(kind) ? new Map<string, { hash: string; held?: Change }>() : seen.get(kind)!;
          const byName = new Map(result.changes.map((c) => [c.name, c]));
          for (const o of observed) {
            const c = byName.get(o.name);
            view.set(o.name, c && mode === 'block' ? { hash: o.hash, held: c } : { hash: o.hash });
          }
          seen.set(kind, view);
          for (const c of result.changes) auditChange(c);
          if (worthRecording(file, result, who)) persist(kind, observed, complete, who);
          if (mode !== 'block' || result.changes.length === 0) return [...items];
          return items.filter((item) => !view.get(String(item.name ?? ''))?.held);
        },
        uriRefusal(uri) {
          if (mode !== 'block') return undefined;
          for (const [name, entry] of seen.get('template') ?? []) {
            const template = entry.held?.definition?.uriTemplate;
            if (typeof template !== 'string') continue;
            let matches = false;
            try {
              matches = new UriTemplate(template).match(uri) !== null;
            } catch {
              matches = false;
            }
            if (matches) return this.refusal('template', name);
          }
          return undefined;
        },
        refusal(kind, name) {
          if (mode !== 'block') return undefined;
          const view = seen.get(kind);
          if (!view) return undefined;
          const entry = view.get(name);
          const noun = NOUN[kind];
          if (!entry) {
            counts.refused += 1;
            count({ metric: 'pinning_refused', kind, tool: '', outcome: 'unlisted' });
            return {
              message: `${noun} "${name}" of service "${service}" is not in the backend's ${PIN_LISTS[kind].method} answer, so it has no pin; tlsmcp refuses it (pinning.mode: block)`,
              data: { code: 'ERR_TOOL_DEFINITION_CHANGED', [kind === 'tool' ? 'tool' : kind]: name, change: 'unlisted', fix: `list the ${PIN_LISTS[kind].field} again; if the backend lists it as new, approve it: ${approveHint(name)}` },
            };
          }
          if (!entry.held) return undefined;
          // Approved since this session listed it: the pin now matches what it was served.
          if (pinnedHash(kind, name) === entry.hash) {
            view.set(name, { hash: entry.hash });
            return undefined;
          }
          const c = entry.held;
          counts.refused += 1;
          count({ metric: 'pinning_refused', kind, tool: name, outcome: c.change });
          const what = c.change === 'added' ? 'is new since the definitions were pinned' : `changed since it was pinned (${c.diff.join('; ')})`;
          return {
            message: `${noun} "${name}" of service "${service}" ${what}; tlsmcp holds it back until an operator approves it (pinning.mode: block). Approve with: ${approveHint(name)}`,
            data: {
              code: 'ERR_TOOL_DEFINITION_CHANGED',
              [kind === 'tool' ? 'tool' : kind]: name,
              change: c.change,
              ...(c.old_hash ? { old_hash: c.old_hash } : {}),
              new_hash: c.new_hash,
              diff: c.diff,
              fix: approveHint(name),
            },
          };
        },
      };
    },
  };
}
