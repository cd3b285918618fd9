/**
 * Prometheus counters for the MCP front's tool-definition pinning and rate
 * limits (issue 17), on the proxy metrics' registry:
 * `tlsmcp_mcp_definition_changes_total{service,kind,tool,outcome}`,
 * `tlsmcp_mcp_pinning_refusals_total{service,kind,tool,outcome}` and
 * `tlsmcp_mcp_rate_limited_total{service}`.
 *
 * Labels stay bounded: `tool` is only ever a name the backend listed (a call
 * to a name it never listed counts under outcome `unlisted` with an empty
 * tool), and no agent identity is a label — who was refused is in the audit log.
 * The workers report cumulative counts; a count lower than the last one seen is
 * a new set of workers (a service restarted by a reload) and counts in full.
 */
import { Counter, type Registry } from 'prom-client';
import { parseMcpCounterKey, type McpCounterMetric } from '../protocol/mcp-counters.js';

export type McpMetricsHook = (service: string, counts: Readonly<Record<string, number>>) => void;

export function createMcpMetrics(registry: Registry): McpMetricsHook {
  const byName: Record<Exclude<McpCounterMetric, 'rate_limited'>, Counter<'service' | 'kind' | 'tool' | 'outcome'>> = {
    definition_changes: new Counter({
      name: 'tlsmcp_mcp_definition_changes_total',
      help: 'Pinned MCP definitions found changed, by service, kind (tool, prompt, template), name and outcome (added, changed, removed); once per session served the change.',
      labelNames: ['service', 'kind', 'tool', 'outcome'] as const,
      registers: [registry],
    }),
    pinning_refused: new Counter({
      name: 'tlsmcp_mcp_pinning_refusals_total',
      help: 'MCP calls refused by pinning.mode block, by service, kind, name and outcome: changed or added (held back until approved), unlisted (a name the backend never listed; tool is empty).',
      labelNames: ['service', 'kind', 'tool', 'outcome'] as const,
      registers: [registry],
    }),
  };
  const rateLimited = new Counter({
    name: 'tlsmcp_mcp_rate_limited_total',
    help: 'MCP calls refused over a rate_limit (JSON-RPC -32005), by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const seen = new Map<string, Map<string, number>>();

  return (service, counts) => {
    let last = seen.get(service);
    if (!last) seen.set(service, (last = new Map()));
    for (const [key, count] of Object.entries(counts)) {
      const c = parseMcpCounterKey(key);
      if (!c) continue;
      const before = last.get(key) ?? 0;
      const delta = count >= before ? count - before : count;
      last.set(key, count);
      if (delta <= 0) continue;
      if (c.metric === 'rate_limited') rateLimited.inc({ service }, delta);
      else byName[c.metric].inc({ service, kind: c.kind, tool: c.tool, outcome: c.outcome }, delta);
    }
  };
}
