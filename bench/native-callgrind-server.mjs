// One TLS-terminating proxy for bench/native-callgrind.ts, run under callgrind:
// `native` is the native data path's listener (admit parses the peer certificate,
// as the service does), `node` a bare Node tls→net pipe. Prints its port; exits
// when stdin ends.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [mode, certFile, keyFile, caFile, addonPath, backendPort] = process.argv.slice(2);
const [cert, key, ca] = [certFile, keyFile, caFile].map((f) => readFileSync(f, 'utf8'));
let port;
if (mode === 'native') {
  const addon = createRequire(import.meta.url)(addonPath);
  const l = new addon.Listener((_id, der) => Boolean(new X509Certificate(der)), () => undefined);
  l.setContext(cert, key, ca, '', false, '', '');
  l.setLimits(120_000, 0, 60_000, 1000); // valgrind is slow: no deadline may fire
  l.setBackend('127.0.0.1', Number(backendPort));
  port = l.bind('127.0.0.1', 0, false);
  process.stdin.on('end', () => {
    l.close();
    setImmediate(() => process.exit(0));
  });
} else {
  const server = createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s) => {
    s.getPeerX509Certificate();
    const b = connect(Number(backendPort), '127.0.0.1');
    s.pipe(b);
    b.pipe(s);
    s.on('error', () => b.destroy());
    b.on('error', () => s.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  process.stdin.on('end', () => process.exit(0));
}
process.stdout.write(`${port}\n`);
process.stdin.resume();
