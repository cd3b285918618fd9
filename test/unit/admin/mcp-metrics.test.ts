/**
 * The MCP front's counters on the proxy registry: cumulative worker counts
 * become counter increments, a lower count (a service restarted with new
 * workers) counts in full, and keys that are not MCP counter keys are ignored.
 */
import { describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../../../src/admin/metrics.js';
import { mcpCounterKey } from '../../../src/protocol/mcp-counters.js';
import { parsePrometheusText } from '../../helpers/prom-text.js';

const held = mcpCounterKey({ metric: 'pinning_refused', kind: 'tool', tool: 'echo', outcome: 'changed' });
const limited = mcpCounterKey({ metric: 'rate_limited', kind: '', tool: '', outcome: 'refused' });

describe('MCP front metrics', () => {
  it('turns cumulative worker counts into counter increments, also across a restart of the service', async () => {
    const metrics = createProxyMetrics({ defaultMetrics: false });
    metrics.mcp!('tools', { [held]: 2, [limited]: 1, 'not a key': 5 });
    metrics.mcp!('tools', { [held]: 3, [limited]: 1 });
    // New workers start from zero: 1 is one more refusal, not a step back.
    metrics.mcp!('tools', { [held]: 1 });
    const f = parsePrometheusText(await metrics.registry.metrics());
    expect(f.get('tlsmcp_mcp_pinning_refusals_total')?.samples).toEqual([
      { name: 'tlsmcp_mcp_pinning_refusals_total', labels: { service: 'tools', kind: 'tool', tool: 'echo', outcome: 'changed' }, value: 4 },
    ]);
    expect(f.get('tlsmcp_mcp_rate_limited_total')?.samples).toEqual([{ name: 'tlsmcp_mcp_rate_limited_total', labels: { service: 'tools' }, value: 1 }]);
    expect(f.get('tlsmcp_mcp_definition_changes_total')?.type).toBe('counter');
  });
});
