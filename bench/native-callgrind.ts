/**
 * Instructions per new mTLS connection, load-independent: the native data
 * path's listener and a bare Node tls→net pipe (bench/native-callgrind-server.mjs)
 * each run under `valgrind --tool=callgrind` twice, once with no connection and
 * once with N sequential echo connections (Node client, X25519); the difference
 * divided by N is what one connection costs the proxy process.
 *
 *   npx tsx bench/native-callgrind.ts [N=100]
 *
 * Needs valgrind and `npm run build:native`. Takes a few minutes (valgrind).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { defaultAddonPath } from '../src/native/addon.js';
import { issueMaterial } from './setup.js';

const N = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-callgrind-'));
try {
  const { material, tls } = await issueMaterial(dir);
  const backend = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');

  const instructions = async (mode: 'native' | 'node', connections: number): Promise<number> => {
    const out = join(dir, `callgrind.${mode}.${connections}`);
    const args = [join(import.meta.dirname, 'native-callgrind-server.mjs'), mode, material.certFile, material.keyFile, material.caFile, defaultAddonPath(), String((backend.address() as AddressInfo).port)];
    const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    for (let i = 0; i < connections; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: tls.ca, cert: tls.cert, key: tls.key, ecdhCurve: 'X25519' });
        s.on('error', reject);
        s.once('secureConnect', () => s.write('x'));
        s.once('data', () => {
          s.end();
          resolve();
        });
      });
    }
    child.stdin.end();
    await once(child, 'exit');
    const summary = /^summary: (\d+)/m.exec(readFileSync(out, 'utf8'));
    if (!summary) throw new Error(`no callgrind summary in ${out}`);
    return Number(summary[1]);
  };

  for (const mode of ['native', 'node'] as const) {
    const base = await instructions(mode, 0);
    const loaded = await instructions(mode, N);
    process.stdout.write(`${mode === 'native' ? 'native data path listener' : 'bare Node tls→net pipe'}: ${((loaded - base) / N / 1e6).toFixed(2)} M instructions per new mTLS connection (${N} connections)\n`);
  }
  backend.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
