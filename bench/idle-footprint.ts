/**
 * `npx tsx bench/idle-footprint.ts [--runs 3] [--targets tlsmcp,tlsmcp-native] [--heap] [--env K=V]…`:
 * where the idle memory of a fresh one-service `tlsmcp run` sidecar goes. Starts
 * `tlsmcp run` from dist/ exactly as `npm run bench` does (bench/targets.ts: one TCP
 * service, admin endpoint on, log level warn, audit on), waits for the probe
 * connection and every worker's listener, lets it settle as the bench's memory
 * figure does (5 s), then reads /proc/PID/smaps and prints RSS (the bench's figure,
 * VmRSS), Anonymous and file-backed memory, split by mapping class, per run and as a
 * median of the runs.
 *
 * `--heap` adds one more run per target with a preload (`NODE_OPTIONS=--require`, which
 * Node also runs in worker threads) that answers over a BroadcastChannel with each
 * thread's V8 heap statistics and the number of modules it loaded; the preload costs
 * a little memory of its own, so that run's RSS is not one of the figures.
 * `--env K=V` passes extra environment to tlsmcp (A/B of e.g. MALLOC_ARENA_MAX).
 * Run `npm run build` first (and `npm run build:native` for tlsmcp-native).
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stopChild } from './children.js';
import { waitReady, waitWorkersReady } from './measure.js';
import { rssBytes } from './proc-stats.js';
import { issueMaterial, startBackend } from './setup.js';
import { startTarget, type TargetName } from './targets.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    targets: { type: 'string', default: 'tlsmcp,tlsmcp-native' },
    heap: { type: 'boolean', default: false },
    settle: { type: 'string', default: '5000' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const root = join(import.meta.dirname, '..');
if (!existsSync(join(root, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
const RUNS = Number(args.runs);
const SETTLE_MS = Number(args.settle);
const targets = args.targets.split(',') as TargetName[];
const extraEnv = Object.fromEntries(args.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** kB figures of one mapping class. */
interface Class { rss: number; anon: number; count: number }
interface Smaps { vmRss: number; rss: number; anon: number; file: number; classes: Map<string, Class> }

/** Which class a mapping belongs to, from its smaps header line. */
function classify(perms: string, path: string): string {
  if (path.endsWith('/bin/node')) return `node binary ${perms === 'r-xp' ? 'text' : perms === 'r--p' ? 'rodata' : perms === 'rw-p' ? 'data' : perms}`;
  if (path.endsWith('.node')) return 'native addon (.node)';
  if (path === '[heap]') return '[heap] (brk: main malloc arena)';
  if (path === '[stack]') return '[stack] (main thread)';
  if (path.startsWith('[')) return path;
  if (path.startsWith('/')) return /\.so(\.|$)/.test(path) ? 'shared libraries' : 'other files';
  return 'anonymous mappings (V8 heaps, malloc arenas, thread stacks)';
}

function readSmaps(pid: number): Smaps {
  const text = readFileSync(`/proc/${pid}/smaps`, 'latin1');
  const classes = new Map<string, Class>();
  let current: Class | undefined;
  let rss = 0;
  let anon = 0;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const key = classify(head[1]!, head[2]!.trim());
      current = classes.get(key) ?? { rss: 0, anon: 0, count: 0 };
      current.count += 1;
      classes.set(key, current);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (!field || !current) continue;
    const kb = Number(field[2]);
    if (field[1] === 'Rss') {
      current.rss += kb;
      rss += kb;
    } else {
      current.anon += kb;
      anon += kb;
    }
  }
  return { vmRss: rssBytes(pid) / 1024, rss, anon, file: rss - anon, classes };
}

/** Preload for --heap: every thread answers 'ask' with its heap statistics and module count. */
const preload = `
const { BroadcastChannel, isMainThread, threadId } = require('node:worker_threads');
const v8 = require('node:v8');
const { registerHooks } = require('node:module');
const { writeFileSync } = require('node:fs');
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
// Node's fetch stack (undici), as loaded 3 s after this thread started: read before any
// 'ask' arrives, since dispatching a BroadcastChannel message builds a MessageEvent, which loads it.
let undici;
setTimeout(() => (undici = process.moduleLoadList.some((m) => m.includes('undici'))), 3000).unref();
const stats = () => {
  const h = v8.getHeapStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
  return { threadId, modules: urls.length, urls, total: h.total_heap_size, physical: h.total_physical_size, used: h.used_heap_size, malloced: h.malloced_memory, external: h.external_memory, arrayBuffers: process.memoryUsage().arrayBuffers, undici, spaces };
};
const channel = new BroadcastChannel('tlsmcp-idle-footprint');
channel.unref();
if (isMainThread) {
  const replies = [];
  channel.onmessage = (e) => replies.push(e.data);
  process.on('SIGUSR2', () => {
    replies.length = 0;
    channel.postMessage('ask');
    setTimeout(() => writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify([stats(), ...replies])), 500).unref();
  });
} else {
  channel.onmessage = (e) => { if (e.data === 'ask') channel.postMessage(stats()); };
}
`;

interface HeapStats { threadId: number; modules: number; urls: string[]; total: number; physical: number; used: number; malloced: number; external: number; arrayBuffers: number; undici: boolean | undefined; spaces: Record<string, number> }

/** Module URLs counted by npm package, dist/src folder, or builtins. */
function groupModules(urls: string[]): [string, number][] {
  const groups = new Map<string, number>();
  for (const u of urls) {
    const key = u.startsWith('node:') ? 'node:' : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? /dist\/((?:src\/)?[^/]+)\//.exec(u)?.[1] ?? u);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}

const mb = (kb: number) => (kb / 1024).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-idle-'));
const backend = await startBackend();
try {
  const { material, tls } = await issueMaterial(dir);
  const preloadFile = join(dir, 'heap-preload.cjs');
  writeFileSync(preloadFile, preload);
  process.stdout.write(`idle footprint: ${RUNS} run(s) per target, settle ${SETTLE_MS} ms, node ${process.version}${args.env.length ? `, env ${args.env.join(' ')}` : ''}\n`);
  for (const name of targets) {
    const runs: Smaps[] = [];
    for (let i = 0; i < RUNS + (args.heap ? 1 : 0); i += 1) {
      const heapRun = i === RUNS;
      const heapFile = join(dir, `heap-${name}-${i}.json`);
      const t = await startTarget(name, {
        material,
        backendPort: backend.port,
        maxConnections: 1_000,
        audit: true,
        dist: true,
        tlsmcpEnv: { ...extraEnv, ...(heapRun ? { NODE_OPTIONS: `--require=${preloadFile}`, BENCH_HEAP_FILE: heapFile } : {}) },
      });
      try {
        await waitReady(t.port, tls, () => t.exited);
        await waitWorkersReady(t);
        const workers = availableParallelism();
        await sleep(SETTLE_MS);
        const s = readSmaps(t.pid);
        if (!heapRun) {
          runs.push(s);
          process.stdout.write(`${name} run ${i + 1} (${workers} workers): VmRSS ${mb(s.vmRss)} MB, Anonymous ${mb(s.anon)} MB, file-backed ${mb(s.file)} MB\n`);
          continue;
        }
        process.kill(t.pid, 'SIGUSR2');
        const end = Date.now() + 10_000;
        while (!existsSync(heapFile) && Date.now() < end) await sleep(100);
        const heaps = JSON.parse(readFileSync(heapFile, 'utf8')) as HeapStats[];
        process.stdout.write(`${name} V8 heaps per thread (preload run, VmRSS ${mb(s.vmRss)} MB):\n`);
        for (const h of heaps) {
          const spaces = Object.entries(h.spaces).filter(([, v]) => v > 0).map(([k, v]) => `${k.replace(/_space$/, '')} ${mb(v / 1024)}`).join(', ');
          process.stdout.write(`  thread ${h.threadId}: ${h.modules} modules${h.undici === undefined ? '' : h.undici ? ", Node's fetch stack (undici) loaded" : ', no undici'}; heap total ${mb(h.total / 1024)} MB, physical ${mb(h.physical / 1024)} MB, used ${mb(h.used / 1024)} MB, malloced ${mb(h.malloced / 1024)} MB, external ${mb(h.external / 1024)} MB of which array buffers ${mb(h.arrayBuffers / 1024)} MB (physical: ${spaces})\n`);
          process.stdout.write(`    modules by package or folder: ${groupModules(h.urls).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
        }
      } finally {
        await t.stop();
      }
    }
    if (runs.length === 0) continue;
    process.stdout.write(`${name} median of ${runs.length}: VmRSS ${mb(median(runs.map((r) => r.vmRss)))} MB, Anonymous ${mb(median(runs.map((r) => r.anon)))} MB, file-backed ${mb(median(runs.map((r) => r.file)))} MB; by mapping class (Rss / Anonymous MB, mappings):\n`);
    const keys = [...new Set(runs.flatMap((r) => [...r.classes.keys()]))];
    const rows = keys.map((k) => ({ k, rss: median(runs.map((r) => r.classes.get(k)?.rss ?? 0)), anon: median(runs.map((r) => r.classes.get(k)?.anon ?? 0)), count: median(runs.map((r) => r.classes.get(k)?.count ?? 0)) }));
    for (const r of rows.sort((a, b) => b.rss - a.rss)) if (r.rss > 0) process.stdout.write(`  ${mb(r.rss).padStart(6)} / ${mb(r.anon).padStart(6)}  ${r.k} (${r.count})\n`);
  }
} finally {
  await stopChild(backend.child);
  rmSync(dir, { recursive: true, force: true });
}
