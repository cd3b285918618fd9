import { afterEach, describe, expect, it } from 'vitest';
import { createFakeSupervisor, serviceStatus } from '../../helpers/mcp-fake-supervisor.js';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

describe('tlsmcp_proxy_reload', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('reloads one service or all through the supervisor', async () => {
    const supervisor = createFakeSupervisor([serviceStatus('api'), serviceStatus('db')]);
    h = await createMcpHarness({ supervisor });
    const all = await h.call('tlsmcp_proxy_reload');
    expect(all.isError).toBeFalsy();
    expect((all.structuredContent as { results: unknown[] }).results).toHaveLength(2);
    const one = await h.call('tlsmcp_proxy_reload', { service: 'db' });
    expect(one.structuredContent).toMatchObject({ config_reloaded: false, results: [{ service: 'db', reloaded: true }] });
    expect(supervisor.reloads).toEqual([{ service: undefined, hadConfig: false }, { service: 'db', hadConfig: false }]);
  });

  it('re-reads the config when the server came from a file, and refuses an invalid one', async () => {
    const supervisor = createFakeSupervisor([serviceStatus('api')]);
    h = await createMcpHarness({ supervisor });
    h.deps.reloadConfig = () => h.config;
    expect((await h.call('tlsmcp_proxy_reload')).structuredContent).toMatchObject({ config_reloaded: true });
    const { TlsmcpError } = await import('../../../src/errors.js');
    h.deps.reloadConfig = () => {
      throw new TlsmcpError('ERR_CONFIG_INVALID', 'tlsmcp.yaml has 1 problem:\n  - listen.address: port 70000 is out of range (1-65535)');
    };
    const bad = await h.call('tlsmcp_proxy_reload');
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/ERR_CONFIG_INVALID: .*port 70000/s);
    expect(supervisor.reloads).toHaveLength(1);
  });

  it('says how to get a supervisor when none runs in this process', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_proxy_reload');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ERR_NOT_RUNNING/);
  });
});
