/**
 * `npm run bench:http`: keep-alive HTTP/1.1 req/s and p99 latency through
 * tlsmcp in HTTP mode (`backend.protocol: http`: requests parsed, identity
 * headers added, an undici pool to the backend) next to TCP mode (the byte
 * pipe), same certificates (EC P-256, TLS 1.3, mTLS required), same HTTP/1.1
 * backend, loopback only. Three processes: the backend, the two proxies, and
 * this one driving the load (undici clients, each on one keep-alive
 * connection, requests back to back). Bounded: fixed phases, a watchdog, and
 * it stops every process it started.
 *
 * Environment: BENCH_PHASE_MS (default 4000), BENCH_CONNECTIONS (default 16),
 * BENCH_ROUNDS (default 2; the best round counts).
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { createRevocationFeed } from '../src/core/revocation.js';
import { createSilentLogger } from '../src/logger.js';
import type { WorkerSpec } from '../src/protocol/messages.js';
import { createProxyService } from '../src/proxy/proxy-service.js';
import { nextMessage, percentile, spawnChild, stopChild } from './children.js';
import { issueMaterial } from './setup.js';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 4_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WATCHDOG_MS = 300_000;

type Role = { role: 'backend' } | { role: 'proxies'; backendPort: number; dir: string } | undefined;

function parseRole(): Role {
  const arg = process.argv[2];
  if (!arg || process.send === undefined) return undefined;
  return JSON.parse(arg) as Role;
}

/** A tiny keep-alive HTTP/1.1 backend: 200 with a short body. */
async function serveBackend(): Promise<void> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') process.exit(0);
  });
}

/** Both proxies in one process (the same event loop each would have as a worker). */
async function serveProxies(backendPort: number, dir: string): Promise<void> {
  // issueMaterial's client certificate (CN bench-client) is the load's; the server's is the proxies'.
  const { material, tls: client } = await issueMaterial(dir);
  const tls = { certPem: readFileSync(material.certFile, 'utf8'), keyPem: readFileSync(material.keyFile, 'utf8'), caPems: [client.ca] };
  const spec = (name: string, http: boolean): WorkerSpec => ({
    name,
    mode: 'server',
    listen: { host: '127.0.0.1', port: 0 },
    protocol: 'tls13',
    backend: { host: '127.0.0.1', port: backendPort },
    mtls: { mode: 'required' },
    limits: { dial_timeout: 5_000, idle_timeout: 300_000, handshake_timeout: 10_000, max_connections: 10_000, drain_timeout: 1_000 },
    audit: false,
    log_level: 'silent',
    ...(http ? { http: { xfcc: ['hash', 'subject', 'uri', 'dns'] } } : {}),
  });
  const start = async (name: string, http: boolean) => {
    const service = createProxyService({ spec: spec(name, http), material: tls, revocations: createRevocationFeed(), logger: createSilentLogger(), onEvent: () => undefined });
    return (await service.listen()).port;
  };
  const tcpPort = await start('bench-tcp', false);
  const httpPort = await start('bench-http', true);
  process.send!({ type: 'ready', tcpPort, httpPort, client: { ca: client.ca, cert: client.cert, key: client.key } });
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') process.exit(0);
  });
}

interface Figure {
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** CONNECTIONS clients, each one keep-alive connection with requests back to back, for PHASE_MS. */
async function keepAliveLoad(port: number, tls: { ca: string; cert: string; key: string }): Promise<Figure> {
  const clients = Array.from({ length: CONNECTIONS }, () => new Client(`https://127.0.0.1:${port}`, { connect: { ...tls, servername: 'localhost' }, pipelining: 1 }));
  // Warm up: every connection handshaken before timing starts.
  await Promise.all(clients.map(async (c) => (await c.request({ method: 'GET', path: '/' })).body.dump()));
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + PHASE_MS;
  const began = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          const res = await c.request({ method: 'GET', path: '/bench' });
          await res.body.dump();
          latencies.push(performance.now() - t);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  await Promise.all(clients.map((c) => c.destroy()));
  latencies.sort((a, b) => a - b);
  return { reqPerS: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:http: watchdog after ${WATCHDOG_MS} ms\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-http-'));
  const backend = spawnChild('./http-mode.ts', { role: 'backend' });
  let proxies: ReturnType<typeof spawnChild> | undefined;
  try {
    const { port: backendPort } = await nextMessage<{ port: number }>(backend, 'ready');
    proxies = spawnChild('./http-mode.ts', { role: 'proxies', backendPort, dir });
    const ready = await nextMessage<{ tcpPort: number; httpPort: number; client: { ca: string; cert: string; key: string } }>(proxies, 'ready');
    const { tcpPort, httpPort, client: clientTls } = ready;

    const best: Record<'tcp' | 'http', Figure | undefined> = { tcp: undefined, http: undefined };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, port] of [['tcp', tcpPort], ['http', httpPort]] as const) {
        const figure = await keepAliveLoad(port, clientTls);
        if (!best[mode] || figure.reqPerS > best[mode].reqPerS) best[mode] = figure;
      }
    }
    const row = (name: string, f: Figure | undefined) =>
      `${name.padEnd(34)} ${f ? f.reqPerS.toFixed(0).padStart(9) : '-'.padStart(9)} ${f ? f.p50Ms.toFixed(2).padStart(8) : ''} ${f ? f.p99Ms.toFixed(2).padStart(8) : ''} ${f ? String(f.errors).padStart(6) : ''}`;
    const out = [
      `keep-alive HTTP/1.1, ${CONNECTIONS} connections, ${PHASE_MS} ms per phase, best of ${ROUNDS}`,
      `${'mode'.padEnd(34)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(6)}`,
      row('tcp  (byte pipe)', best.tcp),
      row('http (parsed, XFCC, undici pool)', best.http),
    ];
    if (best.tcp && best.http) out.push(`http/tcp req/s ratio: ${(best.http.reqPerS / best.tcp.reqPerS).toFixed(2)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (proxies) await stopChild(proxies);
    await stopChild(backend);
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

const role = parseRole();
if (role?.role === 'backend') await serveBackend();
else if (role?.role === 'proxies') await serveProxies(role.backendPort, role.dir);
else await main();
