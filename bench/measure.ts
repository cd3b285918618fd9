/**
 * The bench's measurements against one running target, each bounded in time:
 * new mTLS connections/s (Node clients, and `openssl s_time`), keep-alive
 * requests/s with p50/p99, bulk MB/s, the proxy's CPU per new connection from
 * /proc, session tickets per handshake, and resident memory idle and with N
 * idle mTLS connections.
 */
import { spawn } from 'node:child_process';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { nextMessage, percentile, spawnChild } from './children.js';
import type { LoadJob } from './load-client.js';
import { cpuMicros, listenSockets, rssBytes } from './proc-stats.js';
import type { RunningTarget } from './targets.js';

export const RESPONSE_SIZE = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nhello\n'.length;

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
  /** The same, as files (for openssl s_time). */
  files: { ca: string; cert: string; key: string };
}

export interface MeasureContext {
  tls: ClientTls;
  phaseMs: number;
  clientProcs: number;
  /** Key-exchange groups the Node clients offer (see LoadJob.groups). */
  groups?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function load(ctx: MeasureContext, job: Omit<LoadJob, 'responseSize' | 'tls'>, procs = ctx.clientProcs): Promise<unknown[]> {
  const children = Array.from({ length: procs }, () => spawnChild('./load-client.ts'));
  const results = children.map((c) => nextMessage<{ result: unknown }>(c, 'result', job.durationMs + 120_000));
  const { ca, cert, key } = ctx.tls;
  for (const c of children) c.send({ ...job, tls: { ca, cert, key }, ...(ctx.groups ? { groups: ctx.groups } : {}), responseSize: RESPONSE_SIZE });
  return (await Promise.all(results)).map((r) => r.result);
}

/** One mTLS connection and one request/response; resolves with the number of session tickets the proxy sent by then. */
export function probe(port: number, tls: ClientTls, timeoutMs = 5_000, groups?: string): Promise<{ tickets: number; group: string }> {
  return new Promise((resolve, reject) => {
    let tickets = 0;
    let got = 0;
    const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: tls.ca, cert: tls.cert, key: tls.key, ...(groups ? { ecdhCurve: groups } : {}) });
    const timer = setTimeout(() => s.destroy(new Error('probe timed out')), timeoutMs);
    s.on('session', () => (tickets += 1));
    s.once('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < RESPONSE_SIZE) return;
      // Tickets follow the handshake; give a late one a moment to arrive before counting.
      setTimeout(() => {
        clearTimeout(timer);
        const group = (s.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? '?';
        s.destroy();
        resolve({ tickets, group });
      }, 20);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Polls with probes until the target answers through TLS, or fails after the deadline. */
export async function waitReady(port: number, tls: ClientTls, exited: () => boolean, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      await probe(port, tls, 2_000);
      return;
    } catch (err) {
      if (exited()) throw new Error(`target on port ${port} exited before it was ready`);
      if (Date.now() > end) throw new Error(`target on port ${port} not ready within ${deadlineMs} ms: ${(err as Error).message}`);
      await sleep(100);
    }
  }
}

/**
 * tlsmcp's workers start one after another, each binding the port with
 * reusePort: wait until `count` sockets listen (or report how many did).
 */
export async function waitListeners(t: RunningTarget, count: number, deadlineMs = 30_000): Promise<number> {
  const end = Date.now() + deadlineMs;
  let n = listenSockets(t.port);
  while (n < count && Date.now() < end && !t.exited) {
    await sleep(100);
    n = listenSockets(t.port);
  }
  if (n < count) process.stderr.write(`bench: ${t.name} has ${n} listening socket(s) on port ${t.port}, expected ${count}\n`);
  return n;
}

/**
 * tlsmcp: waits until its admin endpoint reports every service's workers ready (GET /status), since
 * the native workers of a service share one listening socket and counting sockets cannot tell.
 */
export async function waitWorkersReady(t: RunningTarget, deadlineMs = 30_000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end && !t.exited && t.adminPort) {
    try {
      const res = await fetch(`http://127.0.0.1:${t.adminPort}/status`);
      const body = (await res.json()) as { services?: { state?: string }[] };
      if (body.services?.length && body.services.every((s) => s.state === 'ready')) return true;
    } catch {
      // not answering yet
    }
    await sleep(100);
  }
  process.stderr.write(`bench: ${t.name}: not every worker reported ready within ${deadlineMs} ms\n`);
  return false;
}

/** Session tickets per full handshake, from `count` sequential probes. */
export async function ticketsPerHandshake(t: RunningTarget, tls: ClientTls, groups?: string, count = 20): Promise<{ tickets: number; group: string }> {
  let total = 0;
  let group = '';
  for (let i = 0; i < count; i += 1) {
    const r = await probe(t.port, tls, 5_000, groups);
    total += r.tickets;
    group = r.group;
  }
  return { tickets: +(total / count).toFixed(2), group };
}

export interface HandshakeFigure {
  perSecond: number;
  cpuMicrosEach: number;
  /** The Node load clients' CPU per connection (absent for s_time). */
  clientCpuMicrosEach?: number;
  errors: number;
}

/** New mTLS connections/s from Node clients (8 in flight per process), each carrying one request. */
export async function newConnections(ctx: MeasureContext, t: RunningTarget): Promise<HandshakeFigure> {
  const cpu0 = cpuMicros(t.pid);
  const results = (await load(ctx, { mode: 'handshake', port: t.port, concurrency: 8, durationMs: ctx.phaseMs })) as { done: number; errors: number; clientCpuMicros: number }[];
  const cpu = cpuMicros(t.pid) - cpu0;
  const done = results.reduce((a, r) => a + r.done, 0);
  const clientCpu = results.reduce((a, r) => a + r.clientCpuMicros, 0);
  return {
    perSecond: Math.round(done / (ctx.phaseMs / 1000)),
    cpuMicrosEach: Math.round(cpu / Math.max(1, done)),
    clientCpuMicrosEach: Math.round(clientCpu / Math.max(1, done)),
    errors: results.reduce((a, r) => a + r.errors, 0),
  };
}

/** New mTLS connections/s with `openssl s_time -new` (a C client, one per client process), one HTTP/1.0 request each. */
export async function newConnectionsOpenssl(ctx: MeasureContext, t: RunningTarget): Promise<HandshakeFigure> {
  const seconds = Math.max(1, Math.round(ctx.phaseMs / 1000));
  const f = ctx.tls.files;
  const cpu0 = cpuMicros(t.pid);
  const runs = await Promise.all(
    Array.from(
      { length: ctx.clientProcs },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn('openssl', ['s_time', '-connect', `127.0.0.1:${t.port}`, '-new', '-tls1_3', '-cert', f.cert, '-key', f.key, '-CAfile', f.ca, '-www', '/', '-time', String(seconds)], { stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
          child.on('close', () => {
            clearTimeout(kill);
            // "1234 connections in 3 real seconds, ..."
            const match = /(\d+) connections in (\d+) real seconds/.exec(out);
            resolve(match ? Number(match[1]) : 0);
          });
          child.on('error', () => resolve(0));
        }),
    ),
  );
  const cpu = cpuMicros(t.pid) - cpu0;
  const done = runs.reduce((a, b) => a + b, 0);
  return { perSecond: Math.round(done / seconds), cpuMicrosEach: Math.round(cpu / Math.max(1, done)), errors: 0 };
}

export interface KeepaliveFigure {
  perSecond: number;
  p50: number;
  p99: number;
  cpuMicrosEach: number;
}

/** Requests/s on 25 kept-alive mTLS connections per client process, back to back, with latency p50/p99 under that load. */
export async function keepAlive(ctx: MeasureContext, t: RunningTarget): Promise<KeepaliveFigure> {
  const cpu0 = cpuMicros(t.pid);
  const results = (await load(ctx, { mode: 'keepalive', port: t.port, concurrency: 25, durationMs: ctx.phaseMs })) as { done: number; latencies: number[] }[];
  const cpu = cpuMicros(t.pid) - cpu0;
  const done = results.reduce((a, r) => a + r.done, 0);
  const sorted = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return { perSecond: Math.round(done / (ctx.phaseMs / 1000)), p50: +percentile(sorted, 50).toFixed(3), p99: +percentile(sorted, 99).toFixed(3), cpuMicrosEach: +(cpu / Math.max(1, done)).toFixed(1) };
}

/** One download of `bytes` through the proxy, MB/s. */
export async function bulk(ctx: MeasureContext, t: RunningTarget, bytes: number): Promise<number> {
  const [r] = (await load(ctx, { mode: 'bulk', port: t.port, concurrency: 1, durationMs: 60_000, bytes }, 1)) as { bytes: number; seconds: number }[];
  return Math.round(r!.bytes / 1024 / 1024 / r!.seconds);
}

export interface MemoryFigure {
  /** CPU the idle proxy burns (timers, watchers, stats), ms per second: at low connection rates it inflates CPU per connection. */
  idleCpuMsPerS: number;
  idleMb: number;
  open: number;
  errors: number;
  withConnectionsMb: number;
  kbPerConnection: number;
}

const IDLE_CPU_MS = 4_000;
const mb = (bytes: number) => +(bytes / 1024 / 1024).toFixed(1);

/**
 * Memory of a freshly started target: idle (after one probe connection and a
 * second to settle), then with `count` idle mTLS connections held open (each
 * carried one request, so the proxy has dialled the backend for it).
 */
export async function memory(ctx: MeasureContext, t: RunningTarget, count: number): Promise<MemoryFigure> {
  await sleep(1_000);
  const idleCpu0 = cpuMicros(t.pid);
  await sleep(IDLE_CPU_MS);
  const idleCpuMsPerS = +((cpuMicros(t.pid) - idleCpu0) / IDLE_CPU_MS).toFixed(2);
  const idle = rssBytes(t.pid);
  const per = Math.ceil(count / ctx.clientProcs);
  const children = Array.from({ length: ctx.clientProcs }, () => spawnChild('./load-client.ts'));
  try {
    const ready = children.map((c) => nextMessage<{ open: number; errors: number }>(c, 'idle_ready', 300_000));
    const { ca, cert, key } = ctx.tls;
    for (const c of children) c.send({ mode: 'idle', port: t.port, tls: { ca, cert, key }, ...(ctx.groups ? { groups: ctx.groups } : {}), concurrency: 1, durationMs: 0, count: per, responseSize: RESPONSE_SIZE });
    const opened = await Promise.all(ready);
    await sleep(1_000);
    const held = rssBytes(t.pid);
    const open = opened.reduce((a, o) => a + o.open, 0);
    const results = children.map((c) => nextMessage(c, 'result', 60_000));
    for (const c of children) c.send({ type: 'release' });
    await Promise.all(results);
    return { idleCpuMsPerS, idleMb: mb(idle), open, errors: opened.reduce((a, o) => a + o.errors, 0), withConnectionsMb: mb(held), kbPerConnection: Math.round((held - idle) / 1024 / Math.max(1, open)) };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
