// Runs the AddressSanitizer build of the native data path in its own process
// for test/fuzz/native-asan.fuzz.test.ts: one listener in front of the echo
// backend given in the environment, every admitted certificate parsed by
// Node (as the real service does). Prints `{"port":N}` once listening; stdin
// closing closes the listener; prints the event counts and exits 0 when every
// connection has reported its end.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const env = process.env;
const addon = createRequire(import.meta.url)(env.NATIVE_ADDON);
const counts = { admitted: 0, refused: 0, closed: 0 };
let live = 0;
const listener = new addon.Listener(
  (_id, der) => {
    new X509Certificate(der); // the service parses every peer certificate
    counts.admitted += 1;
    live += 1;
    return true;
  },
  (kind) => {
    counts[kind] += 1;
    if (kind === 'closed') live -= 1;
  },
);
listener.setContext(readFileSync(env.SERVER_CERT, 'utf8'), readFileSync(env.SERVER_KEY, 'utf8'), readFileSync(env.CA_CERT, 'utf8'), '', false, '', '');
listener.setLimits(Number(env.HANDSHAKE_MS), 5000, 2000, 1000);
listener.setBackend('127.0.0.1', Number(env.BACKEND_PORT));
const port = listener.bind('127.0.0.1', 0, false);
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  listener.close();
  const done = () => {
    if (live > 0) return setImmediate(done);
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    process.exit(0);
  };
  done();
});
