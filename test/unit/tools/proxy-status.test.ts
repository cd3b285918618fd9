import { afterEach, describe, expect, it } from 'vitest';
import { createFakeSupervisor, serviceStatus } from '../../helpers/mcp-fake-supervisor.js';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_proxy_status', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('reports every service with its worker state, connections and rejections by reason', async () => {
    h = await createMcpHarness({
      supervisor: createFakeSupervisor([serviceStatus('api'), serviceStatus('db', { state: 'not_ready', state_reason: 'backend 127.0.0.1:5432 unreachable' })]),
    });
    const result = await h.call('tlsmcp_proxy_status');
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { all_ready: boolean; services: { name: string; connections: { rejected_by_reason: Record<string, number> } }[] };
    expect(out.all_ready).toBe(false);
    expect(out.services.map((s) => s.name)).toEqual(['api', 'db']);
    expect(out.services[0]?.connections.rejected_by_reason).toEqual({ no_certificate: 1, revoked: 1 });
    expect(textOf(result)).toMatch(/Not ready: db \(not_ready: backend 127.0.0.1:5432 unreachable\)/);

    const one = (await h.call('tlsmcp_proxy_status', { service: 'api' })).structuredContent as { all_ready: boolean; services: unknown[] };
    expect(one).toMatchObject({ all_ready: true });
    expect(one.services).toHaveLength(1);
  });

  it('returns isError for an unknown service', async () => {
    h = await createMcpHarness({ supervisor: createFakeSupervisor([serviceStatus('api')]) });
    const result = await h.call('tlsmcp_proxy_status', { service: 'ghost' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/service: "ghost" is not a running service\n {2}fix: use one of: api/);
  });

  it('says how to get a supervisor when none runs in this process', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_proxy_status');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ERR_NOT_RUNNING: .*no proxy supervisor runs in this MCP server[\s\S]*fix: start the MCP server with a config that lists services/);
  });
});
