/**
 * Instructions per new mTLS connection, load-independent: the native data
 * path's listener and a bare Node tls→net pipe (bench/native-callgrind-server.mjs)
 * each run under `valgrind --tool=callgrind` twice, once with no connection and
 * once with N sequential echo connections (Node client, X25519); the difference
 * divided by N is what one connection costs the proxy process.
 *
 *   npx tsx bench/native-callgrind.ts [N=100]
 *   npx tsx bench/native-callgrind.ts --data [--addon path/to/tlsmcp_native.node]
 *   npx tsx bench/native-callgrind.ts --keep DIR   (keeps the callgrind files for callgrind_annotate)
 *
 * `--data` measures the data path instead: instructions per keep-alive round
 * trip (one connection, 2,000 small echoes, less one with a single echo) and
 * per MB carried (8 MB up and echoed back down). `--addon` measures another
 * build (e.g. a copy of main's) for a before/after; `--syscalls` counts system
 * calls instead (`strace -f -c`, the kernel side callgrind does not see; strace slows
 * the proxy so much that the far side is always ahead, so it shows the calls per
 * record, not the poll wakeups of a quiet run). Needs valgrind (or strace) and
 * `npm run build:native`. Takes a few minutes (valgrind).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { defaultAddonPath } from '../src/native/addon.js';
import { issueMaterial } from './setup.js';

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'boolean', default: false }, syscalls: { type: 'boolean', default: false }, addon: { type: 'string' }, keep: { type: 'string' } } });
const N = Number(positionals[0] ?? 100);
const ADDON = opts.addon ?? defaultAddonPath();
const ROUND_TRIPS = 2_000;
const BULK = 8 * 1024 * 1024;

type Work = { kind: 'hello' } | { kind: 'echo'; times: number } | { kind: 'bulk'; bytes: number };
const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-callgrind-'));
try {
  const { material, tls } = await issueMaterial(dir);
  const backend = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');

  /** Echoes `times` small messages one after the other, or `bytes` up with the echo read back as it comes. */
  const drive = (s: TLSSocket, work: Work) =>
    new Promise<void>((resolve) => {
      if (work.kind === 'bulk') {
        let got = 0;
        s.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= work.bytes) resolve();
        });
        s.write(Buffer.alloc(work.bytes, 0x61));
        return;
      }
      let left = work.kind === 'echo' ? work.times : 1;
      s.on('data', () => {
        left -= 1;
        if (left === 0) resolve();
        else s.write('x'.repeat(77));
      });
      s.write('x'.repeat(77));
    });

  const instructions = async (mode: 'native' | 'node', connections: number, work: Work = { kind: 'hello' }): Promise<number> => {
    const out = join(dir, `callgrind.${mode}.${connections}.${work.kind}`);
    const args = [join(import.meta.dirname, 'native-callgrind-server.mjs'), mode, material.certFile, material.keyFile, material.caFile, ADDON, String((backend.address() as AddressInfo).port)];
    const tool = opts.syscalls ? ['strace', '-f', '-c', '-o', out] : ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file'];
    const child = spawn(tool[0]!, [...tool.slice(1), process.execPath, ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    for (let i = 0; i < connections; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: tls.ca, cert: tls.cert, key: tls.key, ecdhCurve: 'X25519' });
        s.on('error', reject);
        s.once('secureConnect', () => {
          void drive(s, work).then(() => {
            s.end();
            resolve();
          });
        });
      });
    }
    child.stdin.end();
    await once(child, 'exit');
    const text = readFileSync(out, 'utf8');
    if (opts.keep) copyFileSync(out, join(opts.keep, basename(out)));
    // strace -c: the `total` row's calls column; callgrind: the `summary:` line.
    const summary = opts.syscalls ? /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+total$/m.exec(text) : /^summary: (\d+)/m.exec(text);
    if (!summary) throw new Error(`no ${opts.syscalls ? 'strace' : 'callgrind'} summary in ${out}`);
    return Number(summary[1]);
  };

  if (opts.data) {
    const modes = ADDON === defaultAddonPath() ? (['native', 'node'] as const) : (['native'] as const);
    for (const mode of modes) {
      const name = mode === 'native' ? `native data path (${ADDON})` : 'bare Node tls→net pipe';
      const one = await instructions(mode, 1, { kind: 'echo', times: 1 });
      const echoes = await instructions(mode, 1, { kind: 'echo', times: ROUND_TRIPS });
      const bulk = await instructions(mode, 1, { kind: 'bulk', bytes: BULK });
      const line = opts.syscalls
        ? `${((echoes - one) / (ROUND_TRIPS - 1)).toFixed(1)} system calls per keep-alive round trip, ${((bulk - one) / (BULK / 1024 / 1024)).toFixed(0)} per MB carried each way`
        : `${((echoes - one) / (ROUND_TRIPS - 1) / 1e3).toFixed(1)} k instructions per keep-alive round trip, ${((bulk - one) / (BULK / 1024 / 1024) / 1e6).toFixed(2)} M per MB carried each way`;
      process.stdout.write(`${name}: ${line}\n`);
    }
    backend.close();
  } else {
    for (const mode of ['native', 'node'] as const) {
      const base = await instructions(mode, 0);
      const loaded = await instructions(mode, N);
      process.stdout.write(`${mode === 'native' ? 'native data path listener' : 'bare Node tls→net pipe'}: ${((loaded - base) / N / 1e6).toFixed(2)} M instructions per new mTLS connection (${N} connections)\n`);
    }
    backend.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
