/**
 * What the MCP front adds to a `tools/call`: the same call timed direct to the
 * backend and through the front (mTLS Streamable HTTP, relay, policy, audit), for
 * a stdio backend (server-everything's `echo`, spawned by the front or by the
 * client) and an HTTP backend (an SDK Streamable HTTP server on loopback).
 * Sequential calls after a warm-up, the four lanes interleaved call by call (a
 * shared machine's load bursts hit them alike); reports p50/p95/p99 and the
 * added p50/p99.
 *
 * `npx tsx bench/mcp-front.ts` runs it alone (BENCH_MCP_CALLS sets the number of
 * calls, default 300); `runMcpFrontBench()` is for bench/run.ts.
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
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createCertificateAuthority } from '../src/ca/index.js';
import { parseConfig } from '../src/config/load.js';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../src/logger.js';
import { createAuditLog } from '../src/state/audit-log.js';
import { createBatchedAuditLog } from '../src/mcp-front/audit-batch.js';
import { createMcpFront, type McpFront } from '../src/mcp-front/index.js';
// The recording test backend doubles as the bench's HTTP MCP server.
import { startTestMcpBackend } from '../test/helpers/mcp-front-backend.js';
import { percentile } from './children.js';

export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** CPU time of this process per call, µs (median, mean): the client, the front and the in-process HTTP backend, not the stdio child. Less load-dependent than wall time. */
  cpu_us_p50?: number;
  cpu_us_mean?: number;
}

export interface McpFrontBenchResult {
  node: string;
  cores: number;
  load_average_at_start: number[];
  load_average_at_end: number[];
  calls: number;
  /** tools/call round trip in ms. */
  stdio: { direct: LatencyStats; front: LatencyStats; added_p50: number; added_p99: number };
  http: { direct: LatencyStats; front: LatencyStats; added_p50: number; added_p99: number };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export function stats(samples: number[], cpu: number[] = []): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const out: LatencyStats = { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), mean: round(meanOf(sorted)) };
  if (cpu.length) {
    out.cpu_us_p50 = Math.round(percentile([...cpu].sort((a, b) => a - b), 50));
    out.cpu_us_mean = Math.round(meanOf(cpu));
  }
  return out;
}

export interface Lane {
  client: Client;
  name: string;
  args: Record<string, unknown>;
  samples: number[];
  /** This process's CPU time (user + system) over each call, µs. */
  cpu: number[];
}

export async function openLane(transport: Transport, name: string, args: Record<string, unknown>): Promise<Lane> {
  const client = new Client({ name: 'tlsmcp-bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, name, args, samples: [], cpu: [] };
}

/**
 * Times the lanes' calls interleaved (one call on each lane per round, the
 * order rotating every round), so a burst of load from the other tenants of a
 * shared machine falls on every lane alike and same-run differences mean
 * something. After a warm-up of 50 rounds. `beforeCall` runs before each timed
 * call, outside its timing (bench/mcp-front-remote-agent.ts tells its parent).
 */
export async function timeInterleaved(lanes: Lane[], calls: number, beforeCall?: (lane: Lane) => Promise<void>): Promise<void> {
  for (let i = 0; i < Math.min(50, calls); i += 1) for (const lane of lanes) await lane.client.callTool({ name: lane.name, arguments: lane.args });
  for (let i = 0; i < calls; i += 1) {
    for (let j = 0; j < lanes.length; j += 1) {
      const lane = lanes[(i + j) % lanes.length]!;
      await beforeCall?.(lane);
      const cpu = process.cpuUsage();
      const start = performance.now();
      await lane.client.callTool({ name: lane.name, arguments: lane.args });
      lane.samples.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      lane.cpu.push(used.user + used.system);
    }
  }
}

/** The MCP benches' certificates from a fresh CA in `dir`: the front's server certificate and the agent's (CN bench-agent). */
export async function issueMcpBenchCertificates(dir: string) {
  const policy = { client: { default_ttl: 86_400_000, min_ttl: 1_000, max_ttl: 30 * 86_400_000 }, server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 }, expiring_within: 7 * 86_400_000 };
  const ca = createCertificateAuthority({ stateDir: join(dir, 'state'), policy });
  await ca.init({ keyType: 'ecdsa-p256' });
  const server = await ca.issue({ type: 'server', service: 'bench', cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], keyType: 'ecdsa-p256' });
  const client = await ca.issue({ type: 'client', service: 'bench', cn: 'bench-agent', keyType: 'ecdsa-p256' });
  return { server, client };
}

/** Runs both comparisons; every server, child and temp file is gone when it resolves. */
export async function runMcpFrontBench(options: { calls?: number } = {}): Promise<McpFrontBenchResult> {
  const calls = options.calls ?? 300;
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-mcp-'));
  const require = createRequire(import.meta.url);
  const everything = [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
  const { server, client } = await issueMcpBenchCertificates(dir);
  // The audit sink a front worker uses (src/mcp-front/worker-kind.ts); BENCH_MCP_AUDIT=stream for the per-event stream of src/state/audit-log.ts.
  const auditLog = process.env.BENCH_MCP_AUDIT === 'stream' ? createAuditLog(join(dir, 'audit.log')) : createBatchedAuditLog(join(dir, 'audit.log'));
  const mtls = createMtlsFetch({ certPem: client.certPem, keyPem: client.keyPem, caPem: client.caPem });
  const backend = await startTestMcpBackend();
  const fronts: McpFront[] = [];
  const startFront = async (backendConfig: Record<string, unknown>) => {
    const config = parseConfig({
      services: [{ name: 'bench', listen: '127.0.0.1:0', protocol: 'mcp', backend: backendConfig, authorization: [{ identity: { cn: 'bench-agent' }, allow_tools: ['echo'] }] }],
    });
    const front = createMcpFront({ service: config.services[0]!, tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [client.caPem] }, auditLog, logger: createSilentLogger() });
    fronts.push(front);
    const { port } = await front.listen();
    return new URL(`https://127.0.0.1:${port}/mcp`);
  };
  try {
    const loadAtStart = loadavg().map((l) => +l.toFixed(2));
    const stdioFront = await startFront({ command: everything });
    const httpFront = await startFront({ url: backend.url });
    const [command, ...args] = everything;
    // BENCH_MCP_ONLY=front-http (or front-stdio) times that lane alone: for `--cpu-prof` of the front.
    const only = process.env.BENCH_MCP_ONLY;
    const want = (lane: string) => only === undefined || only === lane;
    const lanes = {
      stdioDirect: want('direct-stdio') ? await openLane(new StdioClientTransport({ command: command!, args, stderr: 'ignore' }), 'echo', { message: 'bench' }) : undefined,
      stdioVia: want('front-stdio') ? await openLane(new StreamableHTTPClientTransport(stdioFront, { fetch: mtls.fetch }), 'echo', { message: 'bench' }) : undefined,
      httpDirect: want('direct-http') ? await openLane(new StreamableHTTPClientTransport(new URL(backend.url)), 'echo', { text: 'bench' }) : undefined,
      httpVia: want('front-http') ? await openLane(new StreamableHTTPClientTransport(httpFront, { fetch: mtls.fetch }), 'echo', { text: 'bench' }) : undefined,
    };
    const open = Object.values(lanes).filter((l): l is Lane => l !== undefined);
    try {
      await timeInterleaved(open, calls);
    } finally {
      await Promise.allSettled(open.map((l) => l.client.close()));
    }
    const empty = { p50: NaN, p95: NaN, p99: NaN, mean: NaN };
    const stdioDirect = lanes.stdioDirect ? stats(lanes.stdioDirect.samples, lanes.stdioDirect.cpu) : empty;
    const stdioVia = lanes.stdioVia ? stats(lanes.stdioVia.samples, lanes.stdioVia.cpu) : empty;
    const httpDirect = lanes.httpDirect ? stats(lanes.httpDirect.samples, lanes.httpDirect.cpu) : empty;
    const httpVia = lanes.httpVia ? stats(lanes.httpVia.samples, lanes.httpVia.cpu) : empty;
    return {
      node: process.version,
      cores: cpus().length,
      load_average_at_start: loadAtStart,
      load_average_at_end: loadavg().map((l) => +l.toFixed(2)),
      calls,
      stdio: { direct: stdioDirect, front: stdioVia, added_p50: round(stdioVia.p50 - stdioDirect.p50), added_p99: round(stdioVia.p99 - stdioDirect.p99) },
      http: { direct: httpDirect, front: httpVia, added_p50: round(httpVia.p50 - httpDirect.p50), added_p99: round(httpVia.p99 - httpDirect.p99) },
    };
  } finally {
    await Promise.allSettled(fronts.map((f) => f.close()));
    await backend.close();
    await mtls.destroy();
    await auditLog.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatMcpFrontBench(r: McpFrontBenchResult): string {
  const row = (label: string, s: LatencyStats) => `${label.padEnd(38)}${`${s.p50}`.padEnd(10)}${`${s.p95}`.padEnd(10)}${`${s.p99}`.padEnd(10)}${`${s.mean}`.padEnd(10)}${s.cpu_us_p50 ?? '-'} / ${s.cpu_us_mean ?? '-'}`;
  const cpuAdded = (a: LatencyStats, b: LatencyStats) => (a.cpu_us_p50 !== undefined && b.cpu_us_p50 !== undefined ? `; CPU µs per call p50 ${b.cpu_us_p50 - a.cpu_us_p50}` : '');
  return [
    `tools/call latency, ms (${r.calls} sequential calls each, the four lanes interleaved; node ${r.node}, ${r.cores} cores, load ${r.load_average_at_start.join(' ')} → ${r.load_average_at_end.join(' ')})`,
    `${''.padEnd(38)}${'p50'.padEnd(10)}${'p95'.padEnd(10)}${'p99'.padEnd(10)}${'mean'.padEnd(10)}CPU µs/call p50 / mean (this process)`,
    row('stdio server-everything, direct', r.stdio.direct),
    row('stdio server-everything, via front', r.stdio.front),
    `  added by the front: p50 ${r.stdio.added_p50}, p99 ${r.stdio.added_p99}${cpuAdded(r.stdio.direct, r.stdio.front)}`,
    row('HTTP SDK server, direct', r.http.direct),
    row('HTTP SDK server, via front', r.http.front),
    `  added by the front: p50 ${r.http.added_p50}, p99 ${r.http.added_p99}${cpuAdded(r.http.direct, r.http.front)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMcpFrontBench({ calls: Number(process.env.BENCH_MCP_CALLS ?? 300) });
  process.stdout.write(`${formatMcpFrontBench(result)}\n${JSON.stringify(result, null, 2)}\n`);
}
