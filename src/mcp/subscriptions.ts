/**
 * `resources/subscribe` for one MCP session: `tlsmcp://audit/{service_id}`,
 * `tlsmcp://certs/{service_id}` and `tlsmcp://score`. A subscribed session
 * gets `notifications/resources/updated` when a new audit event names the
 * service, when the service's certificates change (issued, revoked), or when
 * the score changes, so an agent can watch instead of polling. The state dir
 * is watched only while the session has a subscription; the same
 * authorization as a read applies.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { authorizeResource } from './authorization.js';
import type { McpServerDeps } from './deps.js';
import { identityFromAuthInfo } from './identity.js';
import { computeCurrentScore } from './score-now.js';
import { knownServices } from './services.js';
import { watchState, type StateChanges, type StateWatch } from './state-watch.js';

/** Changes are gathered this long before one round of notifications. */
export const DEFAULT_DEBOUNCE_MS = 250;

type Watched = { kind: 'audit'; service: string } | { kind: 'certs'; service: string } | { kind: 'score' };

export interface SubscriptionOptions {
  debounceMs?: number | undefined;
}

function parseWatched(uri: string): Watched | undefined {
  if (uri === 'tlsmcp://score') return { kind: 'score' };
  const m = /^tlsmcp:\/\/(audit|certs)\/([^/]+)$/.exec(uri);
  if (!m) return undefined;
  let service: string;
  try {
    service = decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
  return { kind: m[1] as 'audit' | 'certs', service };
}

/** What identifies the content of a certificate resource: a change here is worth a notification. */
async function certsSignature(deps: McpServerDeps, service: string): Promise<string> {
  if (!deps.ca.exists()) return '';
  const certs = await deps.ca.list({ service });
  return certs.map((c) => `${c.id}:${c.status}:${c.revoked?.at ?? ''}`).join(',');
}

async function scoreSignature(deps: McpServerDeps): Promise<string> {
  const r = await computeCurrentScore(deps, { scanListeners: false });
  return JSON.stringify([r.score, r.items.map((i) => [i.rule, i.subject, i.points])]);
}

/** Adds subscribe/unsubscribe to a server that has not connected yet. */
export function enableSubscriptions(server: McpServer, deps: McpServerDeps, options: SubscriptionOptions = {}): void {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  /** Subscribed URI → what it watches. */
  const subscribed = new Map<string, Watched>();
  /** Last seen signature per certs/score URI, to notify only on a real change. */
  const signatures = new Map<string, string>();
  let watcher: Promise<StateWatch> | undefined;

  const signatureOf = (w: Watched) => (w.kind === 'score' ? scoreSignature(deps) : w.kind === 'certs' ? certsSignature(deps, w.service) : Promise.resolve(''));

  const notify = async (uri: string) => {
    if (!subscribed.has(uri)) return;
    await server.server.sendResourceUpdated({ uri });
  };

  const onChanges = async (changes: StateChanges) => {
    const auditServices = new Set(changes.auditEvents.map((e) => e.service));
    // Revocations and issuance are audited too: they may arrive as audit lines before the inventory event.
    const stateTouched = changes.stateChanged || changes.auditEvents.some((e) => e.kind !== 'connection' && e.kind !== 'tool_call' && e.kind !== 'mcp_request');
    for (const [uri, w] of subscribed) {
      if (w.kind === 'audit') {
        if (auditServices.has(w.service)) await notify(uri);
        continue;
      }
      if (!stateTouched && !(w.kind === 'certs' && auditServices.has(w.service))) continue;
      const next = await signatureOf(w);
      if (signatures.get(uri) === next) continue;
      signatures.set(uri, next);
      await notify(uri);
    }
  };

  const startWatching = () => {
    if (!watcher) {
      const started = watchState({
        stateDir: deps.stateDir,
        debounceMs,
        onChanges,
        onError: (err) => deps.logger.warn({ event: 'mcp_subscription_watch_failed', err: err.message }, 'watching the state dir for subscriptions failed'),
      });
      // A failed start is retried by the next subscribe.
      started.catch(() => {
        if (watcher === started) watcher = undefined;
      });
      watcher = started;
    }
    return watcher;
  };
  const stopWatching = () => {
    const w = watcher;
    watcher = undefined;
    void w?.then((s) => s.close(), () => undefined);
  };

  server.server.registerCapabilities({ resources: { subscribe: true } });

  server.server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const uri = request.params.uri;
    const watched = parseWatched(uri);
    if (!watched) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `ERR_ARGUMENT_INVALID: uri: ${uri} cannot be subscribed to\n  fix: subscribe to tlsmcp://audit/{service_id}, tlsmcp://certs/{service_id} or tlsmcp://score`,
      );
    }
    const decision = authorizeResource(deps.config.mcp.authorization, identityFromAuthInfo(extra.authInfo), uri);
    if (!decision.allowed) throw new McpError(ErrorCode.InvalidRequest, `ERR_FORBIDDEN: ${decision.reason}\n  fix: ${decision.fix}`);
    if (watched.kind !== 'score') {
      const names = await knownServices(deps);
      if (!names.includes(watched.service)) {
        throw new McpError(ErrorCode.InvalidParams, `ERR_ARGUMENT_INVALID: service_id: "${watched.service}" is not configured and has no certificates\n  fix: use one of: ${names.join(', ') || '(none)'}`);
      }
    }
    if (!subscribed.has(uri)) {
      if (watched.kind !== 'audit') signatures.set(uri, await signatureOf(watched));
      subscribed.set(uri, watched);
    }
    await startWatching();
    return {};
  });

  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscribed.delete(request.params.uri);
    signatures.delete(request.params.uri);
    if (subscribed.size === 0) stopWatching();
    return {};
  });

  const previous = server.server.onclose;
  server.server.onclose = () => {
    subscribed.clear();
    stopWatching();
    previous?.();
  };
}
