/**
 * `npx tsx bench/profile.ts --load handshake|keepalive [--seconds 8] [--cpu-prof] [--perf]`:
 * runs one `tlsmcp run` (one service, as the bench does) under one kind of load
 * and reports where its time goes: CPU per operation from /proc, its threads and
 * listening sockets (one per worker with reusePort), and optionally
 * - `--cpu-prof`: V8 CPU profiles of every thread (NODE_OPTIONS), summed by
 *   area and by function (bench/cpuprofile-summary.ts);
 * - `--perf`: `perf record -e cpu-clock -g` of the process (software clock:
 *   this machine has no hardware counters), node started with --perf-basic-prof,
 *   reported by shared object and symbol.
 * Output: text on stdout; raw profiles stay in bench/results/profile-<load>/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stopChild } from './children.js';
import { summarizeProfile } from './cpuprofile-summary.js';
import { summarizePerfScript } from './perf-summary.js';
import { keepAlive, newConnections, ticketsPerHandshake, waitListeners, waitReady, type MeasureContext } from './measure.js';
import { cpuMicros, listenSockets, rssBytes } from './proc-stats.js';
import { buildDist, issueMaterial, startBackend } from './setup.js';
import { startTarget, TLSMCP_TARGETS, type TargetName } from './targets.js';

const { values: args } = parseArgs({
  options: {
    load: { type: 'string', default: 'handshake' },
    seconds: { type: 'string', default: '8' },
    'cpu-prof': { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    dwarf: { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
    audit: { type: 'string', default: 'on' },
    target: { type: 'string', default: 'tlsmcp' },
    groups: { type: 'string', default: 'X25519:P-256' },
  },
});
const load = args.load as 'handshake' | 'keepalive';
const seconds = Number(args.seconds);
const out = join(import.meta.dirname, 'results', `profile-${args.target}-${load}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const watchdog = setTimeout(() => {
  process.stderr.write('profile: watchdog fired; stopping\n');
  process.exit(1);
}, 300_000);
watchdog.unref();

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-profile-'));
const backend = await startBackend();
const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};
try {
  const { material, tls } = await issueMaterial(dir);
  if (!args.source) buildDist();
  const nodeOptions = [args['cpu-prof'] ? `--cpu-prof --cpu-prof-dir=${out}` : '', args.perf ? '--perf-basic-prof-only-functions' : ''].filter(Boolean).join(' ');
  const t = await startTarget(args.target as 'tlsmcp', {
    material,
    backendPort: backend.port,
    maxConnections: 10_000,
    audit: args.audit !== 'off',
    dist: !args.source,
    ...(nodeOptions ? { tlsmcpEnv: { NODE_OPTIONS: nodeOptions } } : {}),
  });
  await waitReady(t.port, tls, () => t.exited);
  const tasks = readdirSync(`/proc/${t.pid}/task`).map((id) => readFileSync(`/proc/${t.pid}/task/${id}/comm`, 'utf8').trim());
  const listeners = TLSMCP_TARGETS.includes(args.target as TargetName) ? await waitListeners(t, availableParallelism()) : listenSockets(t.port);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // settle before the idle RSS reading
  say(`${args.target} pid ${t.pid}, node from ${process.execPath}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  say(`threads: ${tasks.length} (${[...new Set(tasks)].map((n) => `${n}×${tasks.filter((x) => x === n).length}`).join(', ')}); LISTEN sockets on port ${t.port}: ${listeners}`);
    const groups = args.groups === 'default' ? undefined : args.groups;
  const th = await ticketsPerHandshake(t, tls, groups);
  say(`idle RSS ${(rssBytes(t.pid) / 1048576).toFixed(1)} MB; session tickets per handshake: ${th.tickets}; key exchange ${th.group}`);
  const ctx: MeasureContext = { tls, phaseMs: seconds * 1000, clientProcs: 2, ...(groups ? { groups } : {}) };
  await newConnections({ ...ctx, phaseMs: 1000 }, t); // warm-up (JIT)
  let perf: ReturnType<typeof spawn> | undefined;
  if (args.perf) {
    perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', args.dwarf ? '249' : '999', ...(args.dwarf ? ['--call-graph', 'dwarf,16384'] : ['-g']), '-p', String(t.pid), '-o', join(out, 'perf.data')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const cpu0 = cpuMicros(t.pid);
  const result = load === 'handshake' ? await newConnections(ctx, t) : await keepAlive(ctx, t);
  const cpu = cpuMicros(t.pid) - cpu0;
  if (perf) {
    perf.kill('SIGINT');
    await once(perf, 'exit');
  }
  say(`${load}: ${JSON.stringify(result)}; proxy CPU ${(cpu / 1000).toFixed(0)} ms in ${seconds} s`);
  await t.stop();
  if (args['cpu-prof']) {
    for (const f of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
      const s = summarizeProfile(join(out, f));
      if (s.busyMs < 50) continue;
      const busy = s.busyMs;
      say(`\n${f}: wall ${s.wallMs} ms, busy ${busy} ms`);
      say('  by area (self ms, share of busy):');
      for (const [k, v] of s.byArea.filter(([k]) => k !== 'idle').slice(0, 18)) say(`    ${String(v).padStart(8)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
      say('  top functions (self ms):');
      for (const [k, v] of s.byFunction.filter(([k]) => !k.startsWith('(idle)')).slice(0, 25)) say(`    ${String(v).padStart(8)}  ${k}`);
    }
  }
  if (args.perf) {
    const script = spawnSync('perf', ['script', '-i', join(out, 'perf.data'), '-F', 'tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 }).stdout;
    const b = summarizePerfScript(script);
    const share = (n: number) => `${((100 * n) / b.samples).toFixed(1).padStart(5)}%`;
    say(`\nperf: ${b.samples} samples (cpu-clock), by bucket (first marker on the call chain, else the leaf symbol):`);
    for (const [k, v] of b.buckets) say(`  ${share(v)}  ${k}`);
    say('perf: top leaf symbols:');
    for (const [k, v] of b.leaves.slice(0, 30)) say(`  ${share(v)}  ${k}`);
    const report = (sort: string) => spawnSync('perf', ['report', '-i', join(out, 'perf.data'), '--no-children', '--sort', sort, '--stdio', '--percent-limit', '0.7', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout.split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
    say(`\nperf (cpu-clock, all threads) by shared object:\n${report('dso')}`);
  }
  writeFileSync(join(out, 'summary.txt'), `${lines.join('\n')}\n`);
} finally {
  await stopChild(backend.child);
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
