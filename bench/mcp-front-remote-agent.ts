/**
 * The MCP front's added `tools/call` latency with the agent in a process of its
 * own (as in a real deployment, where the agent works in parallel with the
 * front), rather than in the bench's process as bench/mcp-front.ts has it. This
 * process runs the HTTP backend (the recording SDK server) and two fronts over
 * it, this checkout's and another checkout's (`BASE`, as bench/mcp-front-ab.ts);
 * a child process is the agent and times three lanes interleaved call by call:
 * the backend direct, through the base front, through this front. Reports p50
 * and p99 per lane and the added p50/p99, and the CPU µs per call of the agent
 * process and of this process (front + backend), lanes apart.
 *
 *   BENCH_MCP_CALLS=1000 npx tsx bench/mcp-front-remote-agent.ts /tmp/base
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../src/config/load.js';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../src/logger.js';
import { createBatchedAuditLog } from '../src/mcp-front/audit-batch.js';
import { createMcpFront, type McpFront, type McpFrontOptions } from '../src/mcp-front/index.js';
import { startTestMcpBackend } from '../test/helpers/mcp-front-backend.js';
import { openLane, timeInterleaved, stats, type Lane, issueMcpBenchCertificates } from './mcp-front.js';

interface AgentJob {
  calls: number;
  direct: string;
  fronts: Record<string, string>;
  client: { certPem: string; keyPem: string; caPem: string };
}

interface LaneResult {
  samples: number[];
  cpu: number[];
}

type ToParent = { kind: 'call'; lane: string } | { kind: 'done'; lanes: Record<string, LaneResult> };

/** The agent: one SDK client per lane, calls interleaved; tells the parent before each call so it can time its own CPU per lane. */
async function runAgent(job: AgentJob): Promise<void> {
  const mtls = createMtlsFetch(job.client);
  const lanes: Record<string, Lane> = {
    direct: await openLane(new StreamableHTTPClientTransport(new URL(job.direct)), 'echo', { text: 'bench' }),
  };
  for (const [name, url] of Object.entries(job.fronts)) lanes[name] = await openLane(new StreamableHTTPClientTransport(new URL(url), { fetch: mtls.fetch }), 'echo', { text: 'bench' });
  const list = Object.entries(lanes);
  const ask = (m: ToParent) =>
    new Promise<void>((done) => {
      process.once('message', () => done());
      process.send!(m);
    });
  const nameOf = new Map(list.map(([name, lane]) => [lane, name]));
  await timeInterleaved(
    list.map(([, lane]) => lane),
    job.calls,
    (lane) => ask({ kind: 'call', lane: nameOf.get(lane)! }),
  );
  await ask({ kind: 'call', lane: '' });
  await Promise.allSettled(list.map(([, l]) => l.client.close()));
  await mtls.destroy();
  process.send!({ kind: 'done', lanes: Object.fromEntries(list.map(([k, l]) => [k, { samples: l.samples, cpu: l.cpu }])) } satisfies ToParent);
}

async function runParent(base: string): Promise<void> {
  const calls = Number(process.env.BENCH_MCP_CALLS ?? 500);
  const { createMcpFront: createBaseFront } = (await import(pathToFileURL(resolve(base, 'src/mcp-front/index.ts')).href)) as { createMcpFront: (o: McpFrontOptions) => McpFront };
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-mcp-remote-'));
  const { server, client } = await issueMcpBenchCertificates(dir);
  const audit = createBatchedAuditLog(join(dir, 'audit.log'));
  const backend = await startTestMcpBackend();
  const fronts: McpFront[] = [];
  const start = async (make: (o: McpFrontOptions) => McpFront) => {
    const config = parseConfig({ services: [{ name: 'bench', listen: '127.0.0.1:0', protocol: 'mcp', backend: { url: backend.url }, authorization: [{ identity: { cn: 'bench-agent' }, allow_tools: ['echo'] }] }] });
    const front = make({ service: config.services[0]!, tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [client.caPem] }, auditLog: audit, logger: createSilentLogger() });
    fronts.push(front);
    return `https://127.0.0.1:${(await front.listen()).port}/mcp`;
  };
  try {
    const job: AgentJob = { calls, direct: backend.url, fronts: { 'base front': await start(createBaseFront), 'this front': await start(createMcpFront) }, client: { certPem: client.certPem, keyPem: client.keyPem!, caPem: client.caPem } };
    const load0 = loadavg().map((l) => +l.toFixed(2));
    const child = fork(new URL(import.meta.url).pathname, ['--agent'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const parentCpu: Record<string, number[]> = {};
    let current: { lane: string; cpu: NodeJS.CpuUsage } | undefined;
    const result = await new Promise<Record<string, LaneResult>>((done, fail) => {
      child.on('error', fail);
      child.on('exit', (code) => fail(new Error(`agent exited with ${code}`)));
      child.on('message', (m: ToParent) => {
        if (m.kind === 'done') return done(m.lanes);
        if (current) {
          const used = process.cpuUsage(current.cpu);
          (parentCpu[current.lane] ??= []).push(used.user + used.system);
        }
        current = m.lane ? { lane: m.lane, cpu: process.cpuUsage() } : undefined;
        child.send('go');
      });
      child.send(job);
    });
    const load1 = loadavg().map((l) => +l.toFixed(2));
    const median = (v: number[] = []) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
    const out = [`tools/call with the agent in its own process, ${calls} calls per lane, three lanes interleaved; node ${process.version}, load ${load0.join(' ')} → ${load1.join(' ')}; base: ${base}`];
    out.push(`${''.padEnd(14)}${'p50 ms'.padEnd(9)}${'p95 ms'.padEnd(9)}${'p99 ms'.padEnd(9)}${'agent CPU µs'.padEnd(14)}front+backend CPU µs (p50 per call)`);
    const s = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, stats(v.samples, v.cpu)]));
    for (const [k, v] of Object.entries(s)) out.push(`${k.padEnd(14)}${`${v.p50}`.padEnd(9)}${`${v.p95}`.padEnd(9)}${`${v.p99}`.padEnd(9)}${`${v.cpu_us_p50}`.padEnd(14)}${median(parentCpu[k])}`);
    const d = s.direct!;
    for (const which of ['base front', 'this front']) {
      const f = s[which]!;
      out.push(`added over HTTP direct by the ${which}: p50 ${(f.p50 - d.p50).toFixed(3)} ms, p99 ${(f.p99 - d.p99).toFixed(3)} ms; front+backend CPU p50 ${median(parentCpu[which]) - median(parentCpu.direct)} µs, agent CPU p50 ${f.cpu_us_p50! - d.cpu_us_p50!} µs`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    child.removeAllListeners('exit');
    child.kill();
  } finally {
    await Promise.allSettled(fronts.map((f) => f.close()));
    await backend.close();
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--agent')) {
  process.once('message', (job: AgentJob) => void runAgent(job));
} else {
  const base = process.argv[2];
  if (!base) {
    process.stderr.write('usage: npx tsx bench/mcp-front-remote-agent.ts <base checkout dir>\n');
    process.exit(2);
  }
  await runParent(base);
}
