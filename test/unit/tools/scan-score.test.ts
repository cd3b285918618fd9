import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_scan and tlsmcp_score registration', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('registers both with honest annotations (scan reaches the open world)', async () => {
    h = await createMcpHarness();
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'tlsmcp_scan')?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(tools.find((t) => t.name === 'tlsmcp_score')?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
  });

  it('answers isError with a reason when the implementation is missing, never a fake result', async () => {
    h = await createMcpHarness();
    for (const [name, args] of [['tlsmcp_scan', { target: '127.0.0.1:1' }], ['tlsmcp_score', {}]] as const) {
      const result = await h.call(name, args);
      if (result.isError) expect(textOf(result)).toMatch(/ERR_NOT_IMPLEMENTED: .* is not available yet/);
      else expect(result.structuredContent).toBeDefined();
    }
  });
});
