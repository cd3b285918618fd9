/**
 * The yardstick: the simplest Node mTLS proxy one would write (tls.createServer
 * → net.connect → pipe), with the same certificates, in its own process. Plain
 * Node (type stripping, no loader), so its memory is Node's own.
 * Usage: node bench/naive-pipe.ts '{"port":…,"backendPort":…,"certFile":…,"keyFile":…,"caFile":…}'
 * Variants for bench/variants.ts (A/B of one change at a time): `noTicket`
 * (SSL_OP_NO_TICKET), `peer` ("x509": read the peer through
 * getPeerX509Certificate(), "legacy": getPeerCertificate(true)), `workers`
 * (n worker threads with reusePort, the main thread idle, as tlsmcp runs),
 * `tlsmcpOptions` (what tlsmcp's listener sets: "tls": ticketKeys, sessionTimeout,
 * handshakeTimeout, rejectUnauthorized false; "socket": allowHalfOpen, noDelay, the
 * dial timer and the idle timer; "all": both).
 */
import { constants, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { isMainThread, Worker } from 'node:worker_threads';

type Options = { port: number; backendPort: number; certFile: string; keyFile: string; caFile: string; noTicket?: boolean; peer?: 'x509' | 'legacy'; workers?: number; reusePort?: boolean; tlsmcpOptions?: 'all' | 'tls' | 'socket' };
const o = JSON.parse(process.argv[2] ?? '{}') as Options;
// `workers: n`: the same pipe in n worker threads sharing the port with reusePort (tlsmcp's shape), the main thread idle.
if (isMainThread && (o.workers ?? 0) > 0) {
  const argv = [JSON.stringify({ ...o, workers: 0, reusePort: true })];
  for (let i = 0; i < o.workers!; i += 1) new Worker(new URL(import.meta.url), { argv });
  process.on('SIGTERM', () => process.exit(0));
} else {
  serve();
}

function serve() {
  const tlsPart = o.tlsmcpOptions === 'all' || o.tlsmcpOptions === 'tls';
  const socketPart = o.tlsmcpOptions === 'all' || o.tlsmcpOptions === 'socket';
  let seen = 0;
  const readPeer = (socket: TLSSocket) => {
    if (o.peer === 'x509') {
      const c = socket.getPeerX509Certificate();
      if (c && (c.subject + (c.subjectAltName ?? '') + c.serialNumber).length > 0) seen += 1;
    } else if (o.peer === 'legacy') {
      const c = socket.getPeerCertificate(true);
      if (c.subject.CN) seen += 1;
    }
  };
  const server = createServer(
    {
      cert: readFileSync(o.certFile),
      key: readFileSync(o.keyFile),
      ca: [readFileSync(o.caFile)],
      requestCert: true,
      rejectUnauthorized: !tlsPart,
      minVersion: 'TLSv1.3',
      ...(o.noTicket ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
      // What tlsmcp's listener sets beyond the naive pipe (src/proxy/server-proxy.ts, tls-options.ts), without its code.
      ...(tlsPart ? { ticketKeys: randomBytes(48), sessionTimeout: 3600, handshakeTimeout: 10_000 } : {}),
      ...(socketPart ? { allowHalfOpen: true, noDelay: true } : {}),
    },
    (socket) => {
      readPeer(socket);
      const backend = connect(o.backendPort, '127.0.0.1');
      if (socketPart) {
        backend.setNoDelay(true);
        const dial = setTimeout(() => backend.destroy(), 5_000);
        backend.once('connect', () => clearTimeout(dial));
        socket.setTimeout(300_000, () => socket.destroy());
      }
      socket.pipe(backend).pipe(socket);
      socket.on('error', () => backend.destroy());
      backend.on('error', () => socket.destroy());
      socket.on('close', () => backend.destroy());
    },
  );
  server.listen({ port: o.port, host: '127.0.0.1', ...(o.reusePort ? { reusePort: true } : {}) });
  if (isMainThread) process.on('SIGTERM', () => process.exit(seen >= 0 ? 0 : 1));
}
