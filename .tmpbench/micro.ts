import { createServer, request, Agent } from 'node:http';
import { Pool } from 'undici';
import type { AddressInfo } from 'node:net';
const body = 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"bench"}]}}\n\n';
const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' }); res.end(body); }); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const url = new URL(`http://127.0.0.1:${port}/mcp`);
const agent = new Agent({ keepAlive: true });
const pool = new Pool(url.origin, { connections: 4 });
const payload = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'bench' } } });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'abc', 'mcp-protocol-version': '2025-06-18' };
const viaHttp = () => new Promise<void>((resolve, reject) => {
  const req = request(url, { method: 'POST', headers, agent }, (res) => { let s = ''; res.setEncoding('utf8'); res.on('data', (c) => (s += c)); res.on('end', () => resolve()); });
  req.on('error', reject); req.end(payload);
});
const viaPool = async () => { const r = await pool.request({ path: '/mcp', method: 'POST', headers, body: payload }); let s = ''; r.body.setEncoding('utf8'); for await (const c of r.body) s += c; };
const viaDispatch = () => new Promise<void>((resolve, reject) => {
  let s = '';
  pool.dispatch({ path: '/mcp', method: 'POST', headers, body: payload }, {
    onConnect() {}, onError: reject, onHeaders() { return true; }, onData(c: Buffer) { s += c.toString(); return true; }, onComplete() { resolve(); },
  } as never);
});
const measure = async (name: string, f: () => Promise<void>) => {
  for (let i = 0; i < 500; i++) await f();
  const N = 4000; const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < N; i++) await f();
  const c = process.cpuUsage(c0);
  console.log(name, 'CPU µs/req (client+server)', ((c.user + c.system) / N).toFixed(1), 'wall', ((performance.now() - t0) * 1000 / N).toFixed(1));
};
for (let round = 0; round < 2; round++) { await measure('node:http', viaHttp); await measure('undici pool.request', viaPool); await measure('undici dispatch', viaDispatch); }
server.close(); agent.destroy(); await pool.close(); server.closeAllConnections();
