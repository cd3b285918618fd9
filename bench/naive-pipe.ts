/**
 * The yardstick: the simplest Node mTLS proxy one would write (tls.createServer
 * → net.connect → pipe), with the same certificates, in its own process. The
 * bench runs it under the same load as tlsmcp so the figures compare fairly
 * on a busy machine.
 */
import { connect, type AddressInfo } from 'node:net';
import { createServer } from 'node:tls';

const { backendPort, certPem, keyPem, caPem } = JSON.parse(process.argv[2] ?? '{}') as { backendPort: number; certPem: string; keyPem: string; caPem: string };
const server = createServer({ cert: certPem, key: keyPem, ca: [caPem], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
  const backend = connect(backendPort, '127.0.0.1');
  socket.pipe(backend).pipe(socket);
  socket.on('error', () => backend.destroy());
  backend.on('error', () => socket.destroy());
  socket.on('close', () => backend.destroy());
});
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }));
process.on('message', (m: { type: string }) => {
  if (m.type === 'memory') {
    global.gc?.();
    process.send?.({ type: 'memory', rss: process.memoryUsage().rss, active: 1000 });
  }
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage(); // the whole process, every thread
    process.send?.({ type: 'cpu', micros: user + system });
  }
  if (m.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
