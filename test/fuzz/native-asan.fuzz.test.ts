/**
 * The native data path under AddressSanitizer: the ASan build of the addon
 * (`npm run build:native:asan`) runs in a child node with libasan preloaded,
 * and gets random bytes, truncated and bit-flipped ClientHellos (captured from
 * a real Node client), connect-and-close, resets in the middle of a stream and
 * slow drips. The process must stay up with no ASan report, and a good client
 * must still get through afterwards. Bounded: every socket ends by the
 * server's 300 ms handshake deadline or by the test's own hang-up.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { waitFor } from '../helpers/proxy-wait.js';
import type { IssueResult } from '../../src/ca/types.js';

const root = join(import.meta.dirname, '..', '..');
const HANDSHAKE_MS = 300;

let pki: TestPki;
let alice: IssueResult;
let backend: CountingBackend;
let child: ChildProcessWithoutNullStreams;
let port = 0;
let stderr = '';
let stdout = '';
let exited = false;
let childEnv: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  const build = spawnSync(process.execPath, [join(root, 'native', 'build.mjs'), '--asan'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the ASan build failed: ${build.stderr}`);
  const libasan = spawnSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
  pki = await createTestPki();
  const server = await pki.server();
  alice = await pki.client('alice');
  backend = await startEchoBackend();
  const files = { SERVER_CERT: join(pki.dir, 'server.crt'), SERVER_KEY: join(pki.dir, 'server.key'), CA_CERT: join(pki.dir, 'ca.crt') };
  writeFileSync(files.SERVER_CERT, server.certPem);
  writeFileSync(files.SERVER_KEY, server.keyPem!, { mode: 0o600 });
  writeFileSync(files.CA_CERT, pki.caPem);
  const client = { CLIENT_CERT: join(pki.dir, 'client.crt'), CLIENT_KEY: join(pki.dir, 'client.key') };
  writeFileSync(client.CLIENT_CERT, alice.certPem);
  writeFileSync(client.CLIENT_KEY, alice.keyPem!, { mode: 0o600 });
  childEnv = {
    ...process.env,
    ...files,
    LD_PRELOAD: libasan,
    // Node itself leaks at exit; everything else ASan finds is a failure.
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0:halt_on_error=1',
    NATIVE_ADDON: join(root, 'native', 'build-asan', 'tlsmcp_native.node'),
    BACKEND_PORT: String(backend.port),
    HANDSHAKE_MS: String(HANDSHAKE_MS),
    ...client,
  };
  child = spawn(process.execPath, [join(import.meta.dirname, 'native-asan-child.mjs')], { env: childEnv });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.once('exit', () => (exited = true));
  port = await waitFor(() => (/\{"port":(\d+)\}/.exec(stdout)?.[1] ? Number(/\{"port":(\d+)\}/.exec(stdout)![1]) : undefined), { what: `the ASan child to listen (stderr: ${stderr})` });
}, 60_000);

afterAll(async () => {
  if (!exited) child.kill('SIGKILL');
  await backend?.close();
  pki?.cleanup();
});

/** Sends `bytes` (in one write, or one byte per tick when `drip`), then waits for the server to hang up. */
/** Resolves on `event`, or on 'close' first (events.once would reject on the resets this test provokes). */
function settle(emitter: Socket | TLSSocket, event: string): Promise<void> {
  return new Promise((resolve) => {
    emitter.once(event, () => resolve());
    emitter.once('close', () => resolve());
  });
}

async function throwAt(bytes: Buffer, options: { drip?: boolean; reset?: boolean } = {}): Promise<void> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume(); // read what the server answers, or its FIN never surfaces as 'close'
  await settle(socket, 'connect');
  if (options.drip) {
    for (const byte of bytes) {
      if (socket.destroyed) break;
      socket.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    socket.write(bytes);
  }
  if (options.reset) {
    socket.resetAndDestroy();
    return;
  }
  if (!socket.destroyed) await settle(socket, 'close');
}

/** The first flight of a Node client, optionally offering `session` (a resumption ClientHello with a ticket). */
async function captureClientHello(session?: Buffer): Promise<Buffer> {
  const sink = createServer();
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const got = new Promise<Buffer>((resolve) => sink.once('connection', (s: Socket) => s.once('data', (d: Buffer) => resolve(d))));
  const client = tlsConnect({ port: (sink.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', cert: alice.certPem, key: alice.keyPem!, ca: pki.caPem, ...(session ? { session } : {}) });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  sink.close();
  return hello;
}

/** One echo through the listener (resuming `session` if given): whether it echoed, was resumed, and the ticket it got. */
function echoThrough(session?: Buffer): Promise<{ echoed: boolean; reused: boolean; session: Buffer | undefined }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', cert: alice.certPem, key: alice.keyPem!, ca: pki.caPem, ...(session ? { session } : {}) });
    let next: Buffer | undefined;
    const done = (echoed: boolean) => resolve({ echoed, reused: socket.isSessionReused(), session: next });
    socket.on('session', (s: Buffer) => (next = s));
    socket.on('error', () => done(false));
    socket.once('secureConnect', () => socket.write('alive'));
    socket.once('data', (d: Buffer) => {
      socket.end();
      done(d.toString() === 'alive');
    });
    socket.once('close', () => done(false));
  });
}

describe('native data path under AddressSanitizer', () => {
  it('worker threads terminated with live and half-open native connections close them cleanly (the async cleanup hook); two sharing one accept queue', async () => {
    const worker = spawn(process.execPath, [join(import.meta.dirname, 'native-asan-worker-child.mjs')], { env: childEnv });
    let out = '';
    let err = '';
    worker.stdout.on('data', (d: Buffer) => (out += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code, signal] = (await once(worker, 'exit')) as [number | null, string | null];
    expect(err).not.toMatch(/AddressSanitizer/);
    expect(code, `exit code (signal ${signal}); stderr: ${err.slice(-3000)}`).toBe(0);
    expect(out).toContain('terminated 3');
    expect(out).toContain('shared 15'); // every echo through the shared accept queue, before and after one worker went
  }, 60_000);

  it('survives hostile input with no ASan report, and a good client still gets through', async () => {
    // The sanitizer is really there: libasan mapped and the instrumented addon loaded.
    const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8');
    expect(maps).toMatch(/libasan/);
    expect(maps).toMatch(/build-asan\/tlsmcp_native\.node/);
    const hello = await captureClientHello();
    expect(hello[0]).toBe(0x16); // a TLS handshake record
    const jobs: Promise<void>[] = [];
    // random bytes
    for (let i = 0; i < 40; i++) jobs.push(throwAt(randomBytes(randomInt(1, 3000))));
    // truncated ClientHellos
    for (let i = 0; i < 40; i++) jobs.push(throwAt(hello.subarray(0, randomInt(1, hello.length))));
    // bit-flipped ClientHellos
    for (let i = 0; i < 80; i++) {
      const flipped = Buffer.from(hello);
      for (let n = randomInt(1, 9); n > 0; n--) flipped[randomInt(0, flipped.length)]! ^= 1 << randomInt(0, 8);
      jobs.push(throwAt(flipped));
    }
    // connect and close at once; reset mid-ClientHello
    for (let i = 0; i < 40; i++) jobs.push(throwAt(Buffer.alloc(0), { reset: true }));
    for (let i = 0; i < 20; i++) jobs.push(throwAt(hello.subarray(0, randomInt(1, hello.length)), { reset: true }));
    // slow drips (the handshake deadline frees them)
    for (let i = 0; i < 5; i++) jobs.push(throwAt(hello, { drip: true }));
    await Promise.all(jobs);

    // resets in the middle of admitted streams
    for (let i = 0; i < 10; i++) {
      const raw = netConnect(port, '127.0.0.1');
      raw.on('error', () => undefined);
      const tls = tlsConnect({ socket: raw, servername: 'localhost', cert: alice.certPem, key: alice.keyPem!, ca: pki.caPem });
      tls.on('error', () => undefined);
      await settle(tls, 'secureConnect');
      tls.write(randomBytes(200_000));
      await settle(tls, 'data');
      raw.resetAndDestroy();
    }

    // A real ticket, then hostile resumption ClientHellos built on it (the PSK and ticket-decryption paths), then a real resumption.
    const first = await echoThrough();
    expect(first.echoed).toBe(true);
    expect(first.session).toBeDefined();
    const resumeHello = await captureClientHello(first.session);
    const hostileResumes: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const flipped = Buffer.from(resumeHello);
      for (let n = randomInt(1, 9); n > 0; n--) flipped[randomInt(Math.floor(flipped.length / 2), flipped.length)]! ^= 1 << randomInt(0, 8); // the tail: extensions, the ticket, the binder
      hostileResumes.push(throwAt(flipped));
    }
    for (let i = 0; i < 20; i++) hostileResumes.push(throwAt(resumeHello.subarray(0, randomInt(1, resumeHello.length))));
    await Promise.all(hostileResumes);

    expect(exited).toBe(false);
    expect((await echoThrough()).echoed).toBe(true); // its chain remembered: the verify cache's hit path
    expect(await echoThrough(first.session)).toMatchObject({ echoed: true, reused: true });
    child.stdin.end(); // the child closes its listener and exits once every connection reported its end
    const [code] = (exited ? [child.exitCode] : await once(child, 'exit')) as [number | null];
    expect(stderr).not.toMatch(/AddressSanitizer/);
    expect(code).toBe(0);
    const counts = JSON.parse(stdout.trim().split('\n').at(-1)!) as { admitted: number; refused: number; closed: number };
    expect(counts.admitted).toBe(counts.closed);
    expect(counts.refused).toBeGreaterThan(100);
  }, 60_000);
});
