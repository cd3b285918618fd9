/**
 * Reads V8 .cpuprofile files (from `--cpu-prof`) and sums self time by
 * function and by area: OpenSSL and the rest of native code outside JavaScript
 * ("(program)"), GC, Node's TLS and stream internals, tlsmcp's own code, and
 * its dependencies. Used by bench/profile.ts.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Wall time of the profile, ms, and busy (non-idle) time, ms. */
  wallMs: number;
  busyMs: number;
  byArea: [string, number][];
  byFunction: [string, number][];
}

/** Which part of the stack a JS frame belongs to. */
export function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'V8 GC';
  if (fn === '(program)') return 'native, no JS on the stack (libuv, OpenSSL from TLSWrap, V8)';
  if (fn === '(idle)') return 'idle';
  if (fn === '(root)') return 'root';
  if (/node:internal\/(tls|crypto)|node:tls|node:_tls/.test(url)) return 'node: tls';
  if (/node:internal\/(streams|stream_base_commons)|node:stream/.test(url)) return 'node: streams';
  if (/node:net|node:internal\/net/.test(url)) return 'node: net';
  if (/node:internal\/(timers|process\/task_queues|async_hooks)|node:timers/.test(url)) return 'node: timers, ticks';
  if (/node:internal\/(worker|per_context\/messageport)|node:worker_threads/.test(url)) return 'node: worker messaging';
  if (/node:events|node:internal\/events/.test(url)) return 'node: events';
  if (url.startsWith('node:')) return 'node: other';
  if (/node_modules\/zod\//.test(url)) return 'zod';
  if (/node_modules\/pino|node_modules\/sonic-boom|thread-stream/.test(url)) return 'pino';
  if (/node_modules\/prom-client/.test(url)) return 'prom-client';
  if (/node_modules\//.test(url)) return `dependency ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? ''}`;
  if (/\/(src|dist\/src)\//.test(url)) return `tlsmcp ${/(?:src)\/(.+?)\.(?:ts|js)$/.exec(url)?.[1] ?? url}`;
  if (url === '') return `(V8 builtin) ${fn}`;
  return url;
}

export function summarizeProfile(file: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i += 1) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const area = new Map<string, number>();
  const fn = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const a = areaOf(n.callFrame.url, n.callFrame.functionName);
    area.set(a, (area.get(a) ?? 0) + us);
    if (a !== 'idle') busy += us;
    const short = n.callFrame.url.replace(/^.*\/(node_modules\/|src\/|dist\/)/, '$1');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const ms = (m: Map<string, number>) => [...m].map(([k, v]) => [k, +(v / 1000).toFixed(1)] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { wallMs: +((p.endTime - p.startTime) / 1000).toFixed(0), busyMs: +(busy / 1000).toFixed(0), byArea: ms(area), byFunction: ms(fn) };
}
