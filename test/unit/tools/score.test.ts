import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../src/ca/index.js';
import { TEST_POLICY } from '../../helpers/ca-fixture.js';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

const DAY = 86_400_000;

describe('tlsmcp_score', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('scores the managed state with a breakdown and recommendations', async () => {
    h = await createMcpHarness({
      config: { services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080', mtls: { mode: 'optional' } }] },
    });
    const past = createCertificateAuthority({ stateDir: h.pki.stateDir, policy: TEST_POLICY, clock: () => new Date(Date.now() - 3 * DAY) });
    await past.issue({ type: 'client', service: 'api', cn: 'stale', ttlMs: DAY });
    const result = await h.call('tlsmcp_score', { scan_listeners: false });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as { score: number; items: { rule: string }[]; recommendations: { rule: string }[] };
    expect(report.score).toBeLessThan(100);
    expect(report.items.map((i) => i.rule)).toEqual(expect.arrayContaining(['cert-expired']));
    expect(report.recommendations.length).toBeGreaterThan(0);
  });

  it('an empty setup (no services, no certificates) has nothing to score: score null with the reason, not 100', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_score', { scan_listeners: false });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ score: null, reason: expect.stringMatching(/^nothing to score/), categories: [], recommendations: [] });
    expect((result.content[0] as { text: string }).text).toMatch(/^No score: nothing to score/);
  });

  it('is read-only and closed-world', async () => {
    h = await createMcpHarness();
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'tlsmcp_score')?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
  });
});
