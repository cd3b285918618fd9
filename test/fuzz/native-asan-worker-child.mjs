// For test/fuzz/native-asan.fuzz.test.ts, run with the ASan build preloaded:
// worker threads that each load the addon, hold one admitted connection and one
// unfinished handshake, and are terminated (the addon's async cleanup hook
// closes both on the dying thread's loop). Prints `terminated N`; then two
// workers share one accept queue (bind with reuse), clients pass through it,
// one worker is terminated and the other keeps accepting on the same socket,
// then it goes too: prints `shared N` (echoes that came back) and exits 0.
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { Worker } from 'node:worker_threads';

const env = process.env;
const read = (f) => readFileSync(f, 'utf8');
const code = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const addon = require(w.addon);
const l = new addon.Listener(() => true, () => undefined);
l.setContext(readFileSync(w.cert, 'utf8'), readFileSync(w.key, 'utf8'), readFileSync(w.ca, 'utf8'), '', false, '', '');
l.setLimits(5000, 0, 2000, 100);
l.setBackend('127.0.0.1', w.backend);
parentPort.postMessage(l.bind('127.0.0.1', w.port ?? 0, w.share === true));
`;
const workerData = { addon: env.NATIVE_ADDON, cert: env.SERVER_CERT, key: env.SERVER_KEY, ca: env.CA_CERT, backend: Number(env.BACKEND_PORT) };
let terminated = 0;
for (let round = 0; round < 3; round++) {
  const worker = new Worker(code, { eval: true, workerData });
  const [port] = await new Promise((resolve) => worker.once('message', (m) => resolve([m])));
  const client = connect({ port, host: '127.0.0.1', servername: 'localhost', cert: read(env.CLIENT_CERT), key: read(env.CLIENT_KEY), ca: read(env.CA_CERT) });
  client.on('error', () => undefined);
  await new Promise((resolve) => {
    client.once('secureConnect', () => client.write('x'));
    client.once('data', resolve);
  });
  const pending = netConnect(port, '127.0.0.1');
  pending.on('error', () => undefined);
  await new Promise((resolve) => pending.once('connect', resolve));
  const cut = new Promise((resolve) => client.once('close', resolve));
  await worker.terminate();
  await cut;
  pending.destroy();
  terminated += 1;
}
process.stdout.write(`terminated ${terminated}\n`);

const start = async (extra) => {
  const worker = new Worker(code, { eval: true, workerData: { ...workerData, ...extra } });
  const [port] = await new Promise((resolve) => worker.once('message', (m) => resolve([m])));
  return { worker, port };
};
const echo = (port) =>
  new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1', servername: 'localhost', cert: read(env.CLIENT_CERT), key: read(env.CLIENT_KEY), ca: read(env.CA_CERT) });
    c.on('error', () => resolve(false));
    c.once('secureConnect', () => c.write('x'));
    c.once('data', () => {
      c.end();
      resolve(true);
    });
  });
const a = await start({ share: true });
const b = await start({ share: true, port: a.port });
let echoed = 0;
for (let i = 0; i < 10; i++) if (await echo(a.port)) echoed += 1;
await a.worker.terminate();
for (let i = 0; i < 5; i++) if (await echo(a.port)) echoed += 1;
await b.worker.terminate();
process.stdout.write(`shared ${echoed}\n`);
