/**
 * `npx tsx bench/variants.ts [--seconds 4] [--rounds 3] [--client openssl|node]`:
 * A/B of one change at a time, as the proxy's CPU per new mTLS connection
 * (from /proc) in interleaved rounds (best round kept): the naive pipe as is,
 * without session tickets (SSL_OP_NO_TICKET), reading the peer certificate
 * with getPeerX509Certificate() or getPeerCertificate(true); tlsmcp with its
 * audit trail on and off; and tlsmcp with Node's default key-exchange groups
 * (X25519MLKEM768) against X25519; the naive pipe in one worker thread and in
 * one per core with reusePort (tlsmcp's thread shape without tlsmcp's code).
 * `--only pipe,worker` keeps the variants whose label holds one of the words. The differences are what each change costs
 * or would save per connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stopChild } from './children.js';
import { newConnections, newConnectionsOpenssl, ticketsPerHandshake, waitListeners, waitReady, type HandshakeFigure, type MeasureContext } from './measure.js';
import { buildDist, issueMaterial, startBackend } from './setup.js';
import { startTarget, type RunningTarget, type TargetOptions } from './targets.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' }, client: { type: 'string', default: 'node' }, only: { type: 'string' } } });
const watchdog = setTimeout(() => {
  process.stderr.write('variants: watchdog fired; stopping\n');
  process.exit(1);
}, 900_000);
watchdog.unref();

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-variants-'));
const backend = await startBackend();
const running: RunningTarget[] = [];
try {
  const { material, tls } = await issueMaterial(dir);
  buildDist();
  const base: TargetOptions = { material, backendPort: backend.port, maxConnections: 10_000, audit: true, dist: true };
  const variants: { label: string; start: () => Promise<RunningTarget>; groups?: string }[] = [
    { label: 'naive pipe', start: () => startTarget('naive', base) },
    { label: 'naive, SSL_OP_NO_TICKET', start: () => startTarget('naive', { ...base, naive: { noTicket: true } }) },
    { label: 'naive + getPeerX509Certificate()', start: () => startTarget('naive', { ...base, naive: { peer: 'x509' } }) },
    { label: 'naive + getPeerCertificate(true)', start: () => startTarget('naive', { ...base, naive: { peer: 'legacy' } }) },
    { label: 'naive in 1 worker thread', start: () => startTarget('naive', { ...base, naive: { workers: 1 } }) },
    { label: `naive in ${availableParallelism()} worker threads, reusePort (tlsmcp's shape)`, start: () => startTarget('naive', { ...base, naive: { workers: availableParallelism() } }) },
    { label: `naive in ${availableParallelism()} worker threads + tlsmcp's listener options and timers`, start: () => startTarget('naive', { ...base, naive: { workers: availableParallelism(), tlsmcpOptions: 'all' } }) },
    { label: `naive in ${availableParallelism()} worker threads + tlsmcp's TLS options (ticketKeys, sessionTimeout, handshakeTimeout, rejectUnauthorized false)`, start: () => startTarget('naive', { ...base, naive: { workers: availableParallelism(), tlsmcpOptions: 'tls' } }) },
    { label: `naive in ${availableParallelism()} worker threads + tlsmcp's socket options (allowHalfOpen, noDelay, dial and idle timers)`, start: () => startTarget('naive', { ...base, naive: { workers: availableParallelism(), tlsmcpOptions: 'socket' } }) },
    { label: 'tlsmcp, audit on (as shipped)', start: () => startTarget('tlsmcp', base) },
    { label: 'tlsmcp, audit off', start: () => startTarget('tlsmcp', { ...base, audit: false }) },
  ];
  if (args.client === 'node') {
    variants.push({ label: 'naive, client offers X25519MLKEM768 (Node default)', start: () => startTarget('naive', base), groups: 'default' });
    variants.push({ label: 'tlsmcp, client offers X25519MLKEM768 (Node default)', start: () => startTarget('tlsmcp', base), groups: 'default' });
  }
  // --only a,b: variants whose label contains any of the words.
  const words = args.only?.split(',');
  if (words) variants.splice(0, variants.length, ...variants.filter((v) => words.some((w) => v.label.includes(w))));
  const targets: { label: string; t: RunningTarget; groups: string | undefined }[] = [];
  for (const v of variants) {
    const t = await v.start();
    running.push(t);
    await waitReady(t.port, tls, () => t.exited);
    if (t.name === 'tlsmcp') await waitListeners(t, availableParallelism());
    const groups = v.groups === 'default' ? undefined : 'X25519:P-256';
    const th = await ticketsPerHandshake(t, tls, groups);
    targets.push({ label: `${v.label} [${th.tickets} tickets, ${th.group}]`, t, groups });
  }
  const ctx: MeasureContext = { tls, phaseMs: Number(args.seconds) * 1000, clientProcs: 2 };
  const measure = (x: (typeof targets)[number], c: MeasureContext) => (args.client === 'openssl' ? newConnectionsOpenssl(c, x.t) : newConnections({ ...c, ...(x.groups ? { groups: x.groups } : {}) }, x.t));
  for (const x of targets) await measure(x, { ...ctx, phaseMs: 1_000 }); // warm-up
  const best = new Map<string, HandshakeFigure>();
  const all = new Map<string, number[]>();
  for (let round = 0; round < Number(args.rounds); round += 1) {
    for (const x of targets) {
      const r = await measure(x, ctx);
      all.set(x.label, [...(all.get(x.label) ?? []), r.cpuMicrosEach]);
      const b = best.get(x.label);
      if (!b || r.cpuMicrosEach < b.cpuMicrosEach) best.set(x.label, r);
    }
  }
  process.stdout.write(`variants: ${args.client} clients, ${args.seconds}s × ${args.rounds} interleaved rounds, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  process.stdout.write('proxy CPU µs per new connection: best round (all rounds), connections/s of the best round\n');
  for (const x of targets) {
    const b = best.get(x.label)!;
    process.stdout.write(`  ${String(b.cpuMicrosEach).padStart(6)}  (${all.get(x.label)!.join(', ')})  ${b.perSecond}/s  ${x.label}${b.errors ? ` (${b.errors} errors)` : ''}\n`);
  }
} finally {
  await Promise.allSettled(running.map((t) => t.stop()));
  await stopChild(backend.child);
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
