/**
 * `npx tsx bench/callgrind.ts`: instructions per new mTLS connection of each
 * target, counted by valgrind's callgrind in the proxy's process (all its
 * threads), so the figure does not move with the machine's load the way CPU
 * time does. Each target runs under callgrind; after a warm-up (so the JIT has
 * settled) the counters are zeroed (`callgrind_control -z`), N connections are
 * made from this process (outside valgrind: TLS 1.3 mTLS, X25519, one request
 * and its response, then close), and the counters dumped; the figure is the
 * dump's total instructions / N. Targets: `naive` (bench/naive-pipe.ts),
 * `naive-opts` (the same with tlsmcp's listener options and timers),
 * `service` (tlsmcp's TCP listener in-process, bench/service-host.ts), `audit`
 * (the same with audit detail on).
 * `--mode keepalive`: instructions per request instead, requests back to back
 * over `--concurrency` persistent connections (`--conns` is then the request count).
 * `--variant '{"peer":"x509"}'`: extra options for the naive pipe's variants (bench/naive-pipe.ts).
 * `--keep DIR`: keep the dumps there for callgrind_annotate.
 * A target `service@DIR` runs DIR/bench/service-host.ts (another checkout: before/after, interleaved).
 * Usage: npx tsx bench/callgrind.ts [--targets naive,service] [--conns 300] [--warmup 150] [--rounds 1] [--mode handshake|keepalive]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { issueMaterial, startBackend } from './setup.js';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'naive,service' },
    conns: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'handshake' },
    keep: { type: 'string' },
    variant: { type: 'string' },
  },
});
const conns = Number(values.conns);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
const node = process.execPath;
const here = import.meta.dirname;

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  return port;
}

function oneConnection(port: number, context: SecureContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: context }, () => s.write(REQUEST));
    s.once('data', () => {
      s.end();
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

async function load(port: number, context: SecureContext, n: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        await oneConnection(port, context);
      }
    }),
  );
}

/** Keep-alive: `n` requests back to back over `concurrency` persistent connections (opened once, reused across calls). */
const persistent = new Map<number, import('node:tls').TLSSocket[]>();
async function keepalive(port: number, context: SecureContext, n: number): Promise<void> {
  let sockets = persistent.get(port);
  if (!sockets) {
    sockets = await Promise.all(
      Array.from({ length: concurrency }, () => new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: context }, () => resolve(s));
        s.once('error', reject);
      })),
    );
    persistent.set(port, sockets);
  }
  let left = n;
  await Promise.all(
    sockets.map(async (s) => {
      while (left > 0) {
        left -= 1;
        await new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.write(REQUEST);
        });
      }
    }),
  );
}

async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('target exited before listening');
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      s.once('secureConnect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('target not listening');
    await new Promise((r) => setTimeout(r, 500));
  }
}

function totalInstructions(file: string): number {
  const text = readFileSync(file, 'utf8');
  const m = /^(?:totals|summary):\s*(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-callgrind-'));
const { material, tls } = await issueMaterial(dir);
const backend = await startBackend();
const context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, ecdhCurve: 'X25519:P-256' });
const files = { certFile: material.certFile, keyFile: material.keyFile, caFile: material.caFile };
let seq = 0;
try {
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const entry of values.targets.split(',')) {
      // `service@DIR`: the service host of another checkout (a before/after pair in one interleaved run).
      const [target, tree] = entry.split('@') as [string, string | undefined];
      const benchDir = tree ? join(tree, 'bench') : here;
      const port = await freePort();
      const tag = `cg-${round}-${seq++}`;
      const out = join(dir, tag);
      let args: string[];
      if (target === 'naive' || target === 'naive-opts') {
        args = [join(here, 'naive-pipe.ts'), JSON.stringify({ port, backendPort: backend.port, ...files, ...(target === 'naive-opts' ? { tlsmcpOptions: 'all' } : {}), ...(values.variant ? (JSON.parse(values.variant) as object) : {}) })];
      } else if (target === 'service' || target === 'audit') {
        args = ['--import', 'tsx', join(benchDir, 'service-host.ts'), JSON.stringify({ port, backendPort: backend.port, ...files, audit: target === 'audit' })];
      } else throw new Error(`unknown target ${target}`);
      const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}.%p`, '--dump-instr=no', node, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        let listenPort = port;
        if (target === 'service' || target === 'audit') {
          const deadline = Date.now() + 300_000;
          while (!stdout.includes('\n')) {
            if (child.exitCode !== null || Date.now() > deadline) throw new Error(`target did not start: ${stderr.slice(-2000)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          listenPort = (JSON.parse(stdout.split('\n')[0]!) as { port: number }).port;
        }
        await waitListening(listenPort, child);
        const run = values.mode === 'keepalive' ? keepalive : load;
        await run(listenPort, context, warmup);
        execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
        const t0 = Date.now();
        await run(listenPort, context, conns);
        // Let the last closes and event flushes run inside the window.
        await new Promise((r) => setTimeout(r, 300));
        const before = new Set(readdirSync(dir));
        execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
        const dumped = readdirSync(dir).filter((f) => f.startsWith(`${tag}.`) && !before.has(f));
        const ir = dumped.reduce((sum, f) => sum + totalInstructions(join(dir, f)), 0);
        // --keep DIR: the dumps stay, for callgrind_annotate (per-function counts of Node's C++, OpenSSL, libc; JIT code is anonymous).
        if (values.keep) for (const f of dumped) copyFileSync(join(dir, f), join(values.keep, f));
        process.stdout.write(`${entry.padEnd(12)} round ${round}: ${(ir / conns / 1e6).toFixed(3)} M instructions per ${values.mode === 'keepalive' ? 'request' : 'connection'} (${conns} ${values.mode === 'keepalive' ? 'requests' : 'connections'}, ${((Date.now() - t0) / 1000).toFixed(1)} s under valgrind)\n`);
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  }
} finally {
  backend.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
