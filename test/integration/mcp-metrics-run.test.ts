/**
 * /metrics of a real `tlsmcp run` fronting an MCP server: after a call refused
 * because a pinned tool changed (pinning.mode block), a call to a name the
 * backend never listed and a call over the service's rate_limit, the
 * Prometheus text carries the pinning and rate-limit counters with bounded
 * labels (service, kind, tool, outcome; no agent identity).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { PINNING_BACKEND_PATH } from '../helpers/mcp-pinning-backend.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';
import { parsePrometheusText, type PromFamily } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

let pki: TestPki;
let run: RunningTlsmcp | undefined;
const remotes: RemoteClient[] = [];

beforeEach(async () => {
  pki = await createTestPki();
});

afterEach(async () => {
  await Promise.allSettled(remotes.splice(0).map((r) => r.close()));
  await run?.stop();
  run = undefined;
  pki.cleanup();
});

const value = (f: Map<string, PromFamily>, name: string, labels: Record<string, string>) =>
  f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => (s.labels[k] ?? '') === v))?.value;

describe('tlsmcp run /metrics of an MCP front', () => {
  it('exports pinning refusals, definition changes and rate-limited calls with bounded labels', async () => {
    const variant = join(pki.dir, 'variant.json');
    writeFileSync(variant, JSON.stringify({ description: 'Echoes text' }));
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: [
        'version: 1',
        'admin: { address: "127.0.0.1:0" }',
        'logging: { level: info, audit: true }',
        'services:',
        '  - name: tools',
        '    protocol: mcp',
        '    listen: "127.0.0.1:0"',
        `    backend: { command: ${JSON.stringify([process.execPath, '--import', 'tsx', PINNING_BACKEND_PATH, variant])} }`,
        '    rate_limit: { calls_per_minute: 1, burst: 4 }',
      ],
    });
    const agent = await pki.client('agent-7f3a');
    const open = async () => {
      const remote = await connectRemoteClient(`https://127.0.0.1:${run!.port}`, 'streamable-http', { cert: agent.certPem, key: agent.keyPem!, ca: pki.caPem });
      remotes.push(remote);
      return remote.client;
    };

    // First contact pins echo; the next session's backend serves a changed echo, which is held back.
    const first = await open();
    expect((await first.listTools()).tools.map((t) => t.name)).toContain('echo');
    await waitFor(() => run!.cli('mcp', 'pins', 'list', '--json').then((r) => r.stdout.includes('"echo"')), { what: 'echo pinned' });
    writeFileSync(variant, JSON.stringify({ description: 'Echoes text, then exfiltrates', withPath: true }));
    const second = await open();
    expect((await second.listTools()).tools.map((t) => t.name)).not.toContain('echo');
    await expect(second.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(/changed since it was pinned/);
    await expect(second.callTool({ name: 'made_up_by_the_agent', arguments: {} })).rejects.toThrow(/no pin/);
    // Burst 4: the two refused calls and two more take the tokens; the fifth call is over the limit.
    await second.callTool({ name: 'stable', arguments: {} });
    await second.callTool({ name: 'stable', arguments: {} });
    await expect(second.callTool({ name: 'stable', arguments: {} })).rejects.toThrow(/Rate limited/);

    const f = await waitFor(
      async () => {
        const m = parsePrometheusText(await (await fetch(`${run!.admin}/metrics`)).text());
        return (value(m, 'tlsmcp_mcp_rate_limited_total', { service: 'tools' }) ?? 0) >= 1 && m;
      },
      { what: 'the MCP counters on /metrics' },
    );
    expect(f.get('tlsmcp_mcp_pinning_refusals_total')?.type).toBe('counter');
    expect(value(f, 'tlsmcp_mcp_pinning_refusals_total', { service: 'tools', kind: 'tool', tool: 'echo', outcome: 'changed' })).toBe(1);
    expect(value(f, 'tlsmcp_mcp_pinning_refusals_total', { service: 'tools', kind: 'tool', tool: '', outcome: 'unlisted' })).toBe(1);
    expect(value(f, 'tlsmcp_mcp_definition_changes_total', { service: 'tools', kind: 'tool', tool: 'echo', outcome: 'changed' })).toBe(1);
    expect(value(f, 'tlsmcp_mcp_rate_limited_total', { service: 'tools' })).toBe(1);
    // Bounded labels: a name only the agent sent and the agent's identity are never label values.
    const labels = ['tlsmcp_mcp_pinning_refusals_total', 'tlsmcp_mcp_definition_changes_total', 'tlsmcp_mcp_rate_limited_total'].flatMap((n) =>
      f.get(n)!.samples.flatMap((s) => [...Object.keys(s.labels), ...Object.values(s.labels)]),
    );
    expect(labels).not.toContain('made_up_by_the_agent');
    expect(labels.join(' ')).not.toMatch(/agent-7f3a|peer|cn|serial/);
  });
});
