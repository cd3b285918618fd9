import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp://score', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('gives the same breakdown as the tool without scanning the listeners', async () => {
    h = await createMcpHarness({ config: { logging: { audit: false } } });
    // Something to score: an empty setup has no score (see the tool's "nothing to score" test).
    await h.pki.ca.issue({ type: 'client', service: 'web', cn: 'web' });
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('tlsmcp://score');
    const score = (await h.read('tlsmcp://score')) as { score: number; max: number; recommendations: { rule: string }[]; not_measured: string[] };
    expect(score.max).toBe(100);
    expect(score.recommendations.map((r) => r.rule)).toContain('audit-off');
    const tool = await h.call('tlsmcp_score', { scan_listeners: false });
    expect((tool.structuredContent as { score: number }).score).toBe(score.score);
  });
});
