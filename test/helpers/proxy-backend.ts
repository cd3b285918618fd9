/**
 * Backends for proxy tests: a TCP echo server and a tiny HTTP server, both
 * counting every connection they accept, so a test can assert that refused
 * clients never reached the backend.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface CountingBackend {
  port: number;
  connections: number;
  close(): Promise<void>;
}

function track(server: Server | HttpServer, backend: { connections: number }, sockets: Set<Socket>) {
  server.on('connection', (s: Socket) => {
    backend.connections += 1;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
}

/** Echoes whatever it reads; half-close aware (ends when the client ends). */
export function startEchoBackend(): Promise<CountingBackend> {
  return startEchoBackendOn(0);
}

/** An echo backend on a given port (to bring a "down" backend back up). */
export async function startEchoBackendOn(port: number): Promise<CountingBackend> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  const backend = { port: 0, connections: 0, close: async () => undefined };
  track(server, backend, sockets);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  backend.port = (server.address() as AddressInfo).port;
  backend.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}

/** Answers every request with 200 and `hello from backend <path>`. */
export async function startHttpBackend(): Promise<CountingBackend> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello from backend ${req.url}\n`);
  });
  const backend = { port: 0, connections: 0, close: async () => undefined };
  track(server, backend, sockets);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  backend.port = (server.address() as AddressInfo).port;
  backend.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}
