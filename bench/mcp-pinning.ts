/**
 * What tool-definition pinning adds to an MCP front (issue 17; target under
 * 0.2 ms p99). Two views, both on loopback and bounded:
 *  - the pin check itself, in process, on server-everything's real tools/list
 *    (canonicalize + SHA-256 of every definition, compare with the pin file,
 *    whose freshness costs one stat) and on a tools/call (a map lookup);
 *  - end to end: tools/list and tools/call through a front with
 *    `pinning.mode: off` and `block`, interleaved rounds, best round counts.
 *    Loopback round trips vary by more than the check costs, so this view
 *    only shows that nothing else got slower.
 *
 * `npx tsx bench/mcp-pinning.ts` (BENCH_PIN_ITERATIONS, BENCH_MCP_CALLS);
 * `runMcpPinningBench()` / `formatMcpPinningBench()` for bench/run.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createCertificateAuthority } from '../src/ca/index.js';
import { parseConfig } from '../src/config/load.js';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../src/logger.js';
import { createMcpFront, type McpFront } from '../src/mcp-front/index.js';
import { createServicePinning } from '../src/mcp-front/pinning.js';
import { createPinStore } from '../src/mcp-front/pinning-store.js';
import { createAuditLog } from '../src/state/audit-log.js';
import { percentile } from './children.js';

export interface Latency {
  p50: number;
  p99: number;
}

export interface McpPinningBenchResult {
  node: string;
  cores: number;
  load_average_at_start: number[];
  tools_listed: number;
  iterations: number;
  calls: number;
  /** ms per check, in process. */
  check: { tools_list: Latency; tools_list_with_held_tool: Latency; tools_call: Latency };
  /** ms round trips through the front, pinning off vs block. */
  front: { tools_list: { off: Latency; block: Latency }; tools_call: { off: Latency; block: Latency } };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
const latency = (samples: number[]): Latency => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
};
const best = (a: Latency, b: Latency): Latency => (b.p99 < a.p99 ? b : a);

function timeSync(iterations: number, fn: () => void): Latency {
  for (let i = 0; i < Math.min(200, iterations); i += 1) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return latency(samples);
}

async function timeAsync(calls: number, fn: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < Math.min(30, calls); i += 1) await fn();
  const samples: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return latency(samples);
}

export async function runMcpPinningBench(options: { iterations?: number; calls?: number; rounds?: number } = {}): Promise<McpPinningBenchResult> {
  const iterations = options.iterations ?? 5_000;
  const calls = options.calls ?? 200;
  const rounds = options.rounds ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-pin-'));
  const require = createRequire(import.meta.url);
  const everything = [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
  const [command, ...args] = everything;
  const logger = createSilentLogger();
  const fronts: McpFront[] = [];
  const clients: Client[] = [];
  const auditLog = createAuditLog(join(dir, 'audit.log'));
  try {
    const loadAtStart = loadavg().map((l) => +l.toFixed(2));
    // The real list an agent gets from server-everything.
    const direct = new Client({ name: 'tlsmcp-bench', version: '1.0.0' });
    clients.push(direct);
    await direct.connect(new StdioClientTransport({ command: command!, args, stderr: 'ignore' }));
    const tools = (await direct.listTools()).tools as unknown as Record<string, unknown>[];

    const store = createPinStore('bench', join(dir, 'state', 'mcp-pins', 'bench.json'));
    const pinning = createServicePinning({ service: 'bench', mode: 'block', store, audit: () => undefined, logger });
    const session = pinning.session({ session: 'bench', cn: 'bench-agent' });
    session.filter('tool', tools, true); // first contact: pins
    await store.update(() => undefined); // wait for the pin file on disk
    const toolsList = timeSync(iterations, () => session.filter('tool', tools, true));
    const name = String(tools[0]?.name);
    const toolsCall = timeSync(iterations * 4, () => session.refusal('tool', name));
    const changed = tools.map((t, i) => (i === 0 ? { ...t, description: `${String(t.description)} (changed)` } : t));
    const held = pinning.session({ session: 'bench-2', cn: 'bench-agent' });
    const toolsListHeld = timeSync(iterations, () => held.filter('tool', changed, true));

    // End to end through the front.
    const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: { client: { default_ttl: 86_400_000, min_ttl: 1_000, max_ttl: 30 * 86_400_000 }, server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 }, expiring_within: 7 * 86_400_000 } });
    await ca.init({ keyType: 'ecdsa-p256' });
    const server = await ca.issue({ type: 'server', service: 'bench', cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], keyType: 'ecdsa-p256' });
    const agent = await ca.issue({ type: 'client', service: 'bench', cn: 'bench-agent', keyType: 'ecdsa-p256' });
    const mtls = createMtlsFetch({ certPem: agent.certPem, keyPem: agent.keyPem, caPem: agent.caPem });
    const connectVia = async (mode: 'off' | 'block') => {
      const config = parseConfig({ services: [{ name: `bench-${mode}`, listen: '127.0.0.1:0', protocol: 'mcp', backend: { command: everything }, pinning: { mode } }] });
      const front = createMcpFront({
        service: config.services[0]!,
        tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [agent.caPem] },
        auditLog,
        logger,
        pins: createPinStore(`bench-${mode}`, join(dir, 'state', 'mcp-pins', `bench-${mode}.json`)),
      });
      fronts.push(front);
      const { port } = await front.listen();
      const client = new Client({ name: 'tlsmcp-bench', version: '1.0.0' });
      clients.push(client);
      await client.connect(new StreamableHTTPClientTransport(new URL(`https://127.0.0.1:${port}/mcp`), { fetch: mtls.fetch }));
      return client;
    };
    const off = await connectVia('off');
    const block = await connectVia('block');
    let list = { off: { p50: Infinity, p99: Infinity }, block: { p50: Infinity, p99: Infinity } };
    let call = { off: { p50: Infinity, p99: Infinity }, block: { p50: Infinity, p99: Infinity } };
    const echo = (c: Client) => c.callTool({ name: 'echo', arguments: { message: 'bench' } });
    for (let r = 0; r < rounds; r += 1) {
      list = { off: best(list.off, await timeAsync(calls, () => off.listTools())), block: best(list.block, await timeAsync(calls, () => block.listTools())) };
      call = { off: best(call.off, await timeAsync(calls, () => echo(off))), block: best(call.block, await timeAsync(calls, () => echo(block))) };
    }
    await mtls.destroy();
    return {
      node: process.version,
      cores: cpus().length,
      load_average_at_start: loadAtStart,
      tools_listed: tools.length,
      iterations,
      calls,
      check: { tools_list: toolsList, tools_list_with_held_tool: toolsListHeld, tools_call: toolsCall },
      front: { tools_list: list, tools_call: call },
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(fronts.map((f) => f.close()));
    await auditLog.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatMcpPinningBench(r: McpPinningBenchResult): string {
  const ms = (l: Latency) => `p50 ${l.p50} ms, p99 ${l.p99} ms`;
  return [
    `tool-definition pinning (node ${r.node}, ${r.cores} cores, load ${r.load_average_at_start.join(' ')}; ${r.tools_listed} tools from server-everything)`,
    `  pin check on tools/list (${r.iterations}x):          ${ms(r.check.tools_list)}`,
    `  pin check on tools/list, one tool held back:   ${ms(r.check.tools_list_with_held_tool)}`,
    `  pin check on tools/call (${r.iterations * 4}x):         ${ms(r.check.tools_call)}`,
    `  via the front, tools/list, pinning off/block:  ${ms(r.front.tools_list.off)} / ${ms(r.front.tools_list.block)}`,
    `  via the front, tools/call, pinning off/block:  ${ms(r.front.tools_call.off)} / ${ms(r.front.tools_call.block)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMcpPinningBench({ iterations: Number(process.env.BENCH_PIN_ITERATIONS ?? 5_000), calls: Number(process.env.BENCH_MCP_CALLS ?? 200) });
  process.stdout.write(`${formatMcpPinningBench(result)}\n${JSON.stringify(result, null, 2)}\n`);
}
