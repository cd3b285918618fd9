/**
 * What one request of the front's backend hop costs by the HTTP client under
 * it: node:http's ClientRequest on a keep-alive Agent (the front before), undici's
 * Pool.request, and undici's dispatcher with a handler (src/mcp-front/backend-exchange.ts),
 * each a POST answered with one small SSE event by the same local node:http
 * server. CPU µs per request of this process (client and server together: the
 * server's share is the same for the three), sequential, after a warm-up,
 * interleaved rounds.
 *
 *   npx tsx bench/mcp-front-backend-micro.ts
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import type { Dispatcher } from 'undici';
import { createBackendPool } from '../src/mcp-front/backend-exchange.js';

const answer = 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"bench"}]}}\n\n';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' }).end(answer));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
const agent = new Agent({ keepAlive: true });
const pool = createBackendPool(url.origin);
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'bench' } } });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'abc', 'mcp-protocol-version': '2025-06-18' };

const lanes: Record<string, () => Promise<number>> = {
  'node:http ClientRequest': () =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes));
      });
      req.on('error', reject);
      req.end(body);
    }),
  'undici Pool.request': async () => {
    const res = await pool.request({ path: url.pathname, method: 'POST', headers, body });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    return bytes;
  },
  'undici dispatch (the front)': () =>
    new Promise((resolve, reject) => {
      let bytes = 0;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => undefined,
        onResponseData: (_c, chunk) => void (bytes += chunk.length),
        onResponseEnd: () => resolve(bytes),
        onResponseError: (_c, err) => reject(err),
      };
      pool.dispatch({ origin: url.origin, path: url.pathname, method: 'POST', headers, body }, handler);
    }),
};

const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(lanes).map((k) => [k, []]));
const n = Number(process.env.BENCH_MICRO_REQUESTS ?? 3000);
const load0 = loadavg().map((l) => l.toFixed(2));
for (let round = 0; round < 3; round += 1) {
  for (const [name, run] of Object.entries(lanes)) {
    for (let i = 0; i < 300; i += 1) await run();
    const before = process.cpuUsage();
    for (let i = 0; i < n; i += 1) await run();
    const used = process.cpuUsage(before);
    cpu[name]!.push((used.user + used.system) / n);
  }
}
const lines = [`backend hop client, ${n} POSTs × 3 rounds each, load ${load0.join(' ')} → ${loadavg().map((l) => l.toFixed(2)).join(' ')}; CPU µs per request (client + server), best and median of the rounds`];
for (const [name, values] of Object.entries(cpu)) {
  const sorted = [...values].sort((a, b) => a - b);
  lines.push(`${name.padEnd(30)}${sorted[0]!.toFixed(1).padStart(8)}${sorted[1]!.toFixed(1).padStart(8)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
agent.destroy();
await pool.close();
server.closeAllConnections();
server.close();
