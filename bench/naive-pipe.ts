/**
 * The yardstick: the simplest Node mTLS proxy one would write (tls.createServer
 * → net.connect → pipe), with the same certificates, in its own process. Plain
 * Node (type stripping, no loader), so its memory is Node's own.
 * Usage: node bench/naive-pipe.ts '{"port":…,"backendPort":…,"certFile":…,"keyFile":…,"caFile":…}'
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const o = JSON.parse(process.argv[2] ?? '{}') as { port: number; backendPort: number; certFile: string; keyFile: string; caFile: string };
const server = createServer({ cert: readFileSync(o.certFile), key: readFileSync(o.keyFile), ca: [readFileSync(o.caFile)], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
  const backend = connect(o.backendPort, '127.0.0.1');
  socket.pipe(backend).pipe(socket);
  socket.on('error', () => backend.destroy());
  backend.on('error', () => socket.destroy());
  socket.on('close', () => backend.destroy());
});
server.listen(o.port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
