/**
 * `npm run bench [-- --quick] [-- --targets tlsmcp,tlsmcp-native,naive,haproxy]`: tlsmcp
 * (Node's tls, and data_path: native when `npm run build:native` ran)
 * against a naive Node `tls`→`net` pipe and whichever of ghostunnel, haproxy and
 * nginx are on the PATH, in one run with the same certificates (EC P-256, TLS
 * 1.3, mTLS required), in front of the same backend, on loopback only. Prints
 * one table with each figure's ratio to the reference proxy (ghostunnel if
 * found, else the best foreign proxy), then the MCP front's added latency, and
 * writes bench/results/latest.json. Bounded: fixed phases, fixed connection
 * counts, a watchdog; it stops every process it started.
 *
 * Environment: BENCH_PHASE_MS, BENCH_ROUNDS, BENCH_IDLE_CONNECTIONS, BENCH_AUDIT=0
 * (tlsmcp's audit trail off), BENCH_MCP_CALLS (0 skips the MCP front part), BENCH_HUB=0
 * (skips the Hub fan-out part).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stopChild } from './children.js';
import { formatMcpFrontBench, runMcpFrontBench } from './mcp-front.js';
import { bulk, keepAlive, memory, newConnections, newConnectionsOpenssl, ticketsPerHandshake, waitReady, type HandshakeFigure, type KeepaliveFigure, type MeasureContext, type MemoryFigure } from './measure.js';
import { openFileLimit, processTree } from './proc-stats.js';
import { waitListeners, waitWorkersReady } from './measure.js';
import { buildDist, issueMaterial, startBackend } from './setup.js';
import { formatTable, type Figure } from './report.js';
import { formatTargets, judgeTargets } from './issue-targets.js';
import { availableTargets, startTarget, TLSMCP_TARGETS, type RunningTarget, type TargetName, type TargetOptions } from './targets.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    targets: { type: 'string' },
    source: { type: 'boolean', default: false },
  },
});
const quick = args.quick!;
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? (quick ? 1_500 : 4_000));
/** Each measurement runs this many times, the targets interleaved; the best round counts (a busy machine only ever makes figures worse). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
/** A proxy holds two descriptors per connection (client and backend) and the hard limit cannot be raised here: stay under it. */
const FD_BOUND = Math.floor((openFileLimit() - 1_000) / 2 / 500) * 500;
const IDLE_CONNECTIONS = Math.min(Number(process.env.BENCH_IDLE_CONNECTIONS ?? (quick ? 1_000 : 10_000)), FD_BOUND);
const BULK_BYTES = (quick ? 128 : 512) * 1024 * 1024;
const MCP_CALLS = Number(process.env.BENCH_MCP_CALLS ?? (quick ? 100 : 300));
/**
 * The Node clients offer X25519 then P-256 by default, so every proxy does the same key exchange: Debian's
 * haproxy and nginx link OpenSSL 3.0, which has no X25519MLKEM768, while Node 24 (OpenSSL 3.5) picks that
 * hybrid when a Node 24 client offers it (its default). BENCH_GROUPS=default measures with Node's default.
 */
const GROUPS = process.env.BENCH_GROUPS === 'default' ? undefined : (process.env.BENCH_GROUPS ?? 'X25519:P-256');
const WATCHDOG_MS = quick ? 600_000 : 1_800_000; // the full run took 18 minutes at load average 30


function killQuietly(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const found = availableTargets();
const asked = args.targets ? (args.targets.split(',') as TargetName[]) : found;
const missing = asked.filter((t) => !found.includes(t));
if (missing.length) process.stderr.write(`bench: skipping ${missing.join(', ')}: not a target, or not on the PATH (targets here: ${found.join(', ')})\n`);
const targets = asked.filter((t) => found.includes(t));
if (targets.length === 0) throw new Error('bench: no target to measure');
const started: RunningTarget[] = [];
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: watchdog fired after ${WATCHDOG_MS / 1000}s; stopping\n`);
  // The proxies are not IPC children: kill each one's whole tree (nginx's workers too) before leaving.
  for (const t of started) for (const pid of processTree(t.pid).reverse()) killQuietly(pid);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-'));
let backend: { child: ChildProcess; port: number } | undefined;

try {
  const { material, tls } = await issueMaterial(dir);
  const dist = !args.source;
  if (dist) buildDist();
  backend = await startBackend();
  const backendPort = backend.port;
  const targetOptions: TargetOptions = { material, backendPort, maxConnections: IDLE_CONNECTIONS + 200, audit: process.env.BENCH_AUDIT !== '0', dist };
  const ctx: MeasureContext = { tls, phaseMs: PHASE_MS, clientProcs: 2, ...(GROUPS ? { groups: GROUPS } : {}) };
  const load0 = loadavg().map((l) => +l.toFixed(2));
  process.stderr.write(`bench: ${cpus().length} cores, node ${process.version} (OpenSSL ${process.versions.openssl}), targets ${targets.join(', ')}; ${PHASE_MS / 1000}s phases, best of ${ROUNDS}; load average ${load0.join(' ')}\n`);

  const start = async (name: TargetName) => {
    const t = await startTarget(name, targetOptions);
    started.push(t);
    await waitReady(t.port, tls, () => t.exited);
    if (TLSMCP_TARGETS.includes(name)) await waitWorkersReady(t);
    // Node's listener: one SO_REUSEPORT socket per worker (the native workers share one: bench/measure.ts).
    if (name === 'tlsmcp') await waitListeners(t, availableParallelism());
    return t;
  };
  const stop = async (t: RunningTarget) => {
    await t.stop();
    started.splice(started.indexOf(t), 1);
  };

  // Memory first, on fresh processes (one at a time, so each has the machine's memory to itself).
  const mem: Partial<Record<TargetName, MemoryFigure>> = {};
  for (const name of targets) {
    const t = await start(name);
    mem[name] = await memory(ctx, t, IDLE_CONNECTIONS);
    process.stderr.write(`bench: ${name} memory ${JSON.stringify(mem[name])}\n`);
    await stop(t);
  }

  // Throughput: all targets up at once, measured in interleaved rounds.
  const running = new Map<TargetName, RunningTarget>();
  for (const name of targets) running.set(name, await start(name));
  const tickets: Partial<Record<TargetName, number>> = {};
  const groups: Partial<Record<TargetName, string>> = {};
  for (const [name, t] of running) {
    await newConnections({ ...ctx, phaseMs: 1_000 }, t); // warm-up
    const r = await ticketsPerHandshake(t, tls, GROUPS);
    tickets[name] = r.tickets;
    groups[name] = r.group;
  }
  async function best<T>(measure: (t: RunningTarget) => Promise<T>, better: (a: T, b: T) => boolean): Promise<Partial<Record<TargetName, T>>> {
    const out: Partial<Record<TargetName, T>> = {};
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, t] of running) {
        const r = await measure(t);
        if (out[name] === undefined || better(r, out[name])) out[name] = r;
      }
    }
    return out;
  }
  const faster = (a: HandshakeFigure, b: HandshakeFigure) => a.perSecond > b.perSecond;
  const conns = await best((t) => newConnections(ctx, t), faster);
  process.stderr.write(`bench: new connections ${JSON.stringify(conns)}\n`);
  const connsOpenssl = await best((t) => newConnectionsOpenssl(ctx, t), faster);
  process.stderr.write(`bench: new connections (openssl) ${JSON.stringify(connsOpenssl)}\n`);
  const ka = await best((t) => keepAlive(ctx, t), (a: KeepaliveFigure, b: KeepaliveFigure) => a.perSecond > b.perSecond);
  process.stderr.write(`bench: keep-alive ${JSON.stringify(ka)}\n`);
  const mbps = await best((t) => bulk(ctx, t, BULK_BYTES), (a, b) => a > b);
  for (const t of [...started]) await stop(t);

  const pick = <T>(from: Partial<Record<TargetName, T>>, f: (v: T) => number) => Object.fromEntries(Object.entries(from).map(([k, v]) => [k, f(v as T)])) as Partial<Record<TargetName, number>>;
  const errs = (from: Partial<Record<TargetName, HandshakeFigure>>) => Object.fromEntries(Object.entries(from).filter(([, v]) => v.errors > 0).map(([k, v]) => [k, `(${v.errors} errors)`]));
  const figures: Figure[] = [
    { label: 'new mTLS connections/s, Node clients', better: 'higher', values: pick(conns, (v) => v.perSecond), notes: errs(conns) },
    { label: 'proxy CPU µs per new connection', better: 'lower', values: pick(conns, (v) => v.cpuMicrosEach) },
    { label: 'Node clients\' CPU µs per new connection', better: 'lower', values: pick(conns, (v) => v.clientCpuMicrosEach ?? 0) },
    { label: 'new mTLS connections/s, openssl s_time', better: 'higher', values: pick(connsOpenssl, (v) => v.perSecond) },
    { label: 'proxy CPU µs per new connection (s_time)', better: 'lower', values: pick(connsOpenssl, (v) => v.cpuMicrosEach) },
    { label: 'session tickets per handshake', better: 'lower', values: tickets, notes: Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, `(${g})`])) },
    { label: 'keep-alive requests/s', better: 'higher', values: pick(ka, (v) => v.perSecond) },
    { label: 'keep-alive p50 ms', better: 'lower', values: pick(ka, (v) => v.p50) },
    { label: 'keep-alive p99 ms', better: 'lower', values: pick(ka, (v) => v.p99) },
    { label: 'proxy CPU µs per keep-alive request', better: 'lower', values: pick(ka, (v) => v.cpuMicrosEach) },
    { label: 'bulk MB/s', better: 'higher', values: mbps },
    { label: 'idle RSS MB, fresh one-service proxy', better: 'lower', values: pick(mem, (v) => v.idleMb) },
    { label: 'idle CPU ms per second, no connections', better: 'lower', values: pick(mem, (v) => v.idleCpuMsPerS) },
    { label: `RSS MB with ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle mTLS connections`, better: 'lower', values: pick(mem, (v) => v.withConnectionsMb), notes: Object.fromEntries(Object.entries(mem).filter(([, v]) => v.open !== IDLE_CONNECTIONS).map(([k, v]) => [k, `(${v.open} open)`])) },
    { label: 'KB per idle connection', better: 'lower', values: pick(mem, (v) => v.kbPerConnection) },
  ];
  const load1 = loadavg().map((l) => +l.toFixed(2));
  const heading = `${cpus().length} cores (${availableParallelism()} usable), node ${process.version}, OpenSSL ${process.versions.openssl}; ${PHASE_MS / 1000}s phases, best of ${ROUNDS} interleaved rounds; load average ${load0.join(' ')} at start, ${load1.join(' ')} at end; tlsmcp from ${dist ? 'dist/' : 'source (tsx)'}, audit ${targetOptions.audit ? 'on' : 'off'}; Node clients offer ${GROUPS ?? "Node's default groups"}`;
  process.stdout.write(`${heading}\n\n${formatTable(figures, targets)}\n`);
  if (IDLE_CONNECTIONS < 10_000) process.stdout.write(`\nidle connections: ${IDLE_CONNECTIONS} (${quick ? '--quick' : `the open-file hard limit ${openFileLimit()} allows a proxy about ${FD_BOUND}`})\n`);

  let mcpFront: Awaited<ReturnType<typeof runMcpFrontBench>> | undefined;
  if (MCP_CALLS > 0) {
    const r = await runMcpFrontBench({ calls: MCP_CALLS });
    mcpFront = r;
    process.stdout.write(`\n${formatMcpFrontBench(r)}\n`);
  }
  if (targets.includes('ghostunnel')) process.stdout.write(`\n${formatTargets(judgeTargets(figures, mcpFront))}\n`);
  if (MCP_CALLS > 0) {
    const pinning = await import('./mcp-pinning.js');
    process.stdout.write(`\n${pinning.formatMcpPinningBench(await pinning.runMcpPinningBench())}\n`);
  }
  // The fleet: push latency from one Hub to 50 followers, and fan-out through two PostgreSQL-backed replicas.
  if (process.env.BENCH_HUB !== '0') {
    const fleet = await import('./hub-fleet.js');
    process.stdout.write(`\n${fleet.formatHubFleetBench(await fleet.runHubFleetBench())}\n`);
    const replicas = await import('./hub-replicas.js');
    process.stdout.write(`\n${replicas.formatHubReplicasBench(await replicas.runHubReplicasBench())}\n`);
  }
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ heading, targets, idle_connections: IDLE_CONNECTIONS, memory: mem, tickets, groups, new_connections: conns, new_connections_openssl: connsOpenssl, keepalive: ka, bulk_mb_per_s: mbps, mcp_front: mcpFront }, null, 2)}\n`);
} finally {
  await Promise.allSettled(started.map((t) => t.stop()));
  if (backend) await stopChild(backend.child);
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
