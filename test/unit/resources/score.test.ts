import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp://score', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('is listed, and a read gives the score or says honestly that scoring is missing', async () => {
    h = await createMcpHarness();
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('tlsmcp://score');
    try {
      const score = (await h.read('tlsmcp://score')) as { score: number };
      expect(typeof score.score).toBe('number');
    } catch (err) {
      expect(String(err)).toMatch(/ERR_NOT_IMPLEMENTED: tlsmcp:\/\/score is not available yet/);
    }
  });
});
