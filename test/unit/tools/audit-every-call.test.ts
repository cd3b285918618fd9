import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, identityOf, type McpHarness } from '../../helpers/mcp-harness.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

describe('tool call audit', () => {
  let h: McpHarness;
  let ids: TestPki | undefined;
  afterEach(async () => {
    await h?.close();
    ids?.cleanup();
  });

  it('records calls the SDK refuses before any tool code runs: bad arguments, unknown tools', async () => {
    ids = await createTestPki();
    const caller = await ids.client('agent-x');
    h = await createMcpHarness({ identity: identityOf(caller) });
    expect((await h.call('tlsmcp_cert_list', { service: 'api', status: 'lost' })).isError).toBe(true);
    expect((await h.call('tlsmcp_nope', {})).isError).toBe(true);
    await h.call('tlsmcp_cert_list', { service: 'api' });
    await h.call('tlsmcp_cert_status', { id: 'missing' });
    await h.call('tlsmcp_cert_revoke', { id: 'missing' });

    const events = (await h.deps.auditLog.read({ kind: 'tool_call' })).reverse();
    expect(events.map((e) => [e.tool, e.result])).toEqual([
      ['tlsmcp_cert_list', 'rejected'],
      ['tlsmcp_nope', 'rejected'],
      ['tlsmcp_cert_list', 'ok'],
      ['tlsmcp_cert_status', 'error'],
      ['tlsmcp_cert_revoke', 'denied'],
    ]);
    expect(events[0]).toMatchObject({ service: 'api', peer_cn: 'agent-x', serial: caller.record.serial });
    expect(events[0]?.reason).toMatch(/Input validation error/);
    expect(events[1]?.reason).toMatch(/Tool tlsmcp_nope not found/);
    for (const e of events) expect(typeof e.latency_ms).toBe('number');
  });
});
