/**
 * `npx tsx bench/worker-footprint.ts`: what one proxy worker thread costs in
 * memory before any connection, and why. In a fresh process per setting, starts
 * a worker that loads the compiled proxy worker (dist/workers/proxy-worker.js,
 * as `tlsmcp run` does) under a module hook that lists every module it loads,
 * then reports the process's RSS growth and the worker's V8 heap, with the
 * initial heap size tlsmcp sets (64 MB) and with V8's default. Also lists what
 * the main thread of `tlsmcp run` loads. Run `npm run build` first (the bench does).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stopChild } from './children.js';
import { waitListeners, waitReady } from './measure.js';
import { rssBytes } from './proc-stats.js';
import { issueMaterial, startBackend } from './setup.js';
import { startTarget } from './targets.js';

const root = join(import.meta.dirname, '..');
const entry = pathToFileURL(join(root, 'dist/workers/proxy-worker.js')).href;
if (!existsSync(new URL(entry))) throw new Error('dist/ is missing: run `npm run build` first');

/** Runs in the worker: list every module loaded, import the entry, report. */
const workerCode = `
import { registerHooks } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
await import(workerData.entry);
parentPort.postMessage({ type: 'footprint', urls, heap: getHeapStatistics() });
`;

/** Runs in a fresh process per setting: RSS before, start the worker, settle, RSS after. */
const probeCode = `
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
const [heapMb, entry, code] = process.argv.slice(1);
globalThis.gc();
const rss0 = process.memoryUsage().rss;
if (Number(heapMb) > 0) setFlagsFromString('--initial-heap-size=' + heapMb);
const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(code)), { workerData: { entry } });
w.on('message', async (m) => {
  await new Promise((r) => setTimeout(r, 1500));
  globalThis.gc();
  const rss1 = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ rss0, rss1, urls: m.urls, heap: m.heap }));
  process.exit(0);
});
`;

function probe(heapMb: number) {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probeCode, String(heapMb), entry, workerCode], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as { rss0: number; rss1: number; urls: string[]; heap: { total_heap_size: number; used_heap_size: number; total_physical_size: number } };
}

const mb = (n: number) => (n / 1048576).toFixed(1);
function groupModules(urls: string[]) {
  const groups = new Map<string, number>();
  for (const u of urls) {
    const key = u.startsWith('node:') ? 'node: builtins' : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? (/dist\/(src\/[^/]+|workers)\//.exec(u)?.[1] ?? u));
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}

/** The same probe with a worker that loads only `what` (a bare worker, or zod alone): what the pieces cost. */
const partCode = (what: string) => `
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
${what}
parentPort.postMessage({ type: 'footprint', urls: [], heap: getHeapStatistics() });
`;
function probeParts(label: string, what: string) {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probeCode, '0', entry, partCode(what)], { encoding: 'utf8' });
  const r = JSON.parse(out) as { rss0: number; rss1: number; heap: { used_heap_size: number; total_physical_size: number } };
  process.stdout.write(`${label}: process RSS +${mb(r.rss1 - r.rss0)} MB; V8 heap used ${mb(r.heap.used_heap_size)} MB, physical ${mb(r.heap.total_physical_size)} MB\n`);
}
probeParts('a bare worker (node:worker_threads only)', '');
probeParts('a worker that imports zod (as src/supervisor/messages.ts does)', `await import(${JSON.stringify(pathToFileURL(join(root, 'node_modules/zod/index.js')).href)});`);
probeParts('a worker that imports pino', `await import(${JSON.stringify(pathToFileURL(join(root, 'node_modules/pino/pino.js')).href)});`);

for (const heapMb of [64, 0]) {
  const r = probe(heapMb);
  process.stdout.write(`worker with ${heapMb ? `--initial-heap-size=${heapMb} (as tlsmcp sets it)` : "V8's default initial heap"}: process RSS +${mb(r.rss1 - r.rss0)} MB; worker V8 heap total ${mb(r.heap.total_heap_size)} MB, used ${mb(r.heap.used_heap_size)} MB, physical ${mb(r.heap.total_physical_size)} MB; ${r.urls.length} modules\n`);
  if (heapMb === 0) {
    process.stdout.write('modules loaded into the proxy worker, by package or folder:\n');
    for (const [k, v] of groupModules(r.urls)) process.stdout.write(`  ${String(v).padStart(4)}  ${k}\n`);
    const own = r.urls.filter((u) => u.includes('/dist/')).map((u) => u.replace(/^.*\/dist\//, ''));
    process.stdout.write(`tlsmcp files in the worker: ${own.join(', ')}\n`);
  }
}

/** The main thread of `tlsmcp run` (dist/): what it loads, and the whole process's RSS once its workers are up. */
const mainHook = `
import { registerHooks } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
const urls = [];
if (isMainThread) {
  registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
  process.on('exit', () => writeFileSync(process.env.BENCH_MODULES_FILE, JSON.stringify(urls)));
}
`;
const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-footprint-'));
const backend = await startBackend();
try {
  const { material, tls } = await issueMaterial(dir);
  const modulesFile = join(dir, 'modules.json');
  const t = await startTarget('tlsmcp', {
    material,
    backendPort: backend.port,
    maxConnections: 1_000,
    audit: true,
    dist: true,
    tlsmcpEnv: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(mainHook)}`, BENCH_MODULES_FILE: modulesFile },
  });
  await waitReady(t.port, tls, () => t.exited);
  const workers = await waitListeners(t, availableParallelism());
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const rss = rssBytes(t.pid);
  await t.stop();
  const urls = JSON.parse(readFileSync(modulesFile, 'utf8')) as string[];
  process.stdout.write(`\ntlsmcp run (dist/, one service, ${workers} workers with reusePort): RSS ${mb(rss)} MB; its main thread loaded ${urls.length} modules:\n`);
  for (const [k, v] of groupModules(urls).slice(0, 25)) process.stdout.write(`  ${String(v).padStart(4)}  ${k}\n`);
} finally {
  await stopChild(backend.child);
  rmSync(dir, { recursive: true, force: true });
}
