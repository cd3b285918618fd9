/**
 * The MCP front's pinning and rate-limit counters as they travel from a worker
 * to the supervisor's metrics (`WorkerStats.mcp`): a flat map from a key that
 * carries the counter's bounded labels to a count, cumulative per worker, so
 * the supervisor merges them the way it merges `rejected_by_reason` (sum by key).
 * Both sides import this module; it imports nothing.
 */

export type McpCounterMetric = 'definition_changes' | 'pinning_refused' | 'rate_limited';

export interface McpCounter {
  metric: McpCounterMetric;
  /** tool, prompt or template; empty for rate limits (all calls share one bucket). */
  kind: string;
  /** A name the backend listed (bounded by the backend's lists); empty when it came only from the agent. */
  tool: string;
  /** definition_changes: added, changed, removed; pinning_refused: added, changed, unlisted; rate_limited: refused. */
  outcome: string;
}

const METRICS: readonly string[] = ['definition_changes', 'pinning_refused', 'rate_limited'];

/** The map key of one counter (JSON, so no label value can be confused with a separator). */
export function mcpCounterKey(c: McpCounter): string {
  return JSON.stringify([c.metric, c.kind, c.tool, c.outcome]);
}

/** The labels of a key made by mcpCounterKey; undefined for anything else. */
export function parseMcpCounterKey(key: string): McpCounter | undefined {
  let parts: unknown;
  try {
    parts = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) return undefined;
  const [metric, kind, tool, outcome] = parts as string[];
  if (!METRICS.includes(metric!)) return undefined;
  return { metric: metric as McpCounterMetric, kind: kind!, tool: tool!, outcome: outcome! };
}

/** Adds `more` into `into` by key and returns `into`. */
export function addCounts(into: Record<string, number>, more: Readonly<Record<string, number>> | undefined): Record<string, number> {
  for (const [k, v] of Object.entries(more ?? {})) into[k] = (into[k] ?? 0) + v;
  return into;
}
