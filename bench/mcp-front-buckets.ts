/**
 * Splits a V8 `.cpuprofile` of `bench/mcp-front.ts` (one lane, in-process) into
 * who the time went to: the front's SDK Streamable HTTP server transport and its
 * hono adapter, the stdio client transport, tlsmcp's own front code, the bench's
 * agent (SDK client, undici over mTLS), GC, and native work with no JS caller.
 * A sample goes to the first bucket (in that order) one of whose frames is on its
 * stack. Sample deltas are wall time, so on a loaded machine only the shares mean
 * something; scale them by the bench's CPU µs per call.
 *
 *   BENCH_MCP_ONLY=front-stdio BENCH_MCP_CALLS=1500 node --cpu-prof --cpu-prof-dir=/tmp/p --import tsx bench/mcp-front.ts
 *   npx tsx bench/mcp-front-buckets.ts /tmp/p/*.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const BUCKETS: [string, RegExp][] = [
  ['start-up: module loading, the CA', /modules\/|nm:tsx|src\/ca\/|esbuild|runMcpFrontBench/],
  ["front: the SDK's Streamable HTTP server transport and hono adapter", /server\/streamableHttp|webStandardStreamableHttp|@hono|server\/requestBody/],
  ['front: the SDK stdio client transport (the write to the backend child included)', /client\/stdio|shared\/stdio/],
  ["front: tlsmcp's own code (routes, relay, policy, audit, the fast path)", /src\/mcp-front\//],
  ['agent (the bench client): SDK client, undici fetch over mTLS, SSE parsing', /client\/streamableHttp|client\/index|shared\/protocol|src\/connect\/mtls-fetch|undici|eventsource/],
  ['GC', /^\(garbage collector\)/],
];
const OTHER = 'native with no JS caller on the stack: TLS, sockets, streams, timers, (program)';

const file = process.argv[2];
if (!file) throw new Error('usage: npx tsx bench/mcp-front-buckets.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node) => `${n.callFrame.functionName} ${n.callFrame.url.replace(/.*node_modules\//, 'nm:')}`;
const totals = new Map<string, number>();
let busy = 0;
profile.samples.forEach((leaf, i) => {
  const delta = profile.timeDeltas[i + 1] ?? 0;
  if (byId.get(leaf)?.callFrame.functionName === '(idle)') return;
  let bucket = OTHER;
  const stack: string[] = [];
  for (let x: number | undefined = leaf; x !== undefined; x = parent.get(x)) stack.push(label(byId.get(x)!));
  for (const [name, re] of BUCKETS) {
    if (stack.some((frame) => re.test(frame))) {
      bucket = name;
      break;
    }
  }
  totals.set(bucket, (totals.get(bucket) ?? 0) + delta);
  busy += delta;
});
const startup = totals.get(BUCKETS[0]![0]) ?? 0;
for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1])) {
  const share = name === BUCKETS[0]![0] ? '  -  ' : `${((100 * t) / (busy - startup)).toFixed(1).padStart(5)}%`;
  process.stdout.write(`${share}  ${(t / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
}
process.stdout.write('shares are of the busy time outside start-up\n');
