/**
 * Local servers with known flaws for the scanner tests, all on 127.0.0.1 port
 * 0: Node tls servers with chosen protocols, suites and certificates, a plain
 * TCP server that is not TLS, and one that accepts and never answers. Every
 * server tracks its sockets so close() ends them all.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server, host = '127.0.0.1'): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TlsServerOptions extends tls.TlsOptions {
  /** Answer each request with this HTTP response head (e.g. to send HSTS). */
  httpHeaders?: Record<string, string>;
  /** Listen here instead of 127.0.0.1 (e.g. ::1). */
  host?: string;
  /** Extra headers for requests to one path (e.g. HSTS only on /app). */
  httpHeadersByPath?: Record<string, Record<string, string>>;
}

/** A TLS server that answers HTTP/1.1 requests (so HSTS can be read) and ignores bad clients. */
export async function startTlsServer(options: TlsServerOptions): Promise<TestServer> {
  const { httpHeaders, httpHeadersByPath, host, ...tlsOptions } = options;
  const server = tls.createServer(tlsOptions, (socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data: Buffer) => {
      const path = /^[A-Z]+ (\S+) HTTP/.exec(data.toString('latin1'))?.[1] ?? '/';
      const head = Object.entries({ ...httpHeaders, ...httpHeadersByPath?.[path] }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n${head}\r\nok`);
    });
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return listen(server, host);
}

/** A TCP server that answers anything with a line of text: not TLS. */
export async function startPlainServer(): Promise<TestServer> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('SSH-2.0-OpenSSH_9.6 not tls\r\n');
  });
  return listen(server);
}

/** A TCP server that accepts connections and never sends a byte. */
export async function startSilentServer(): Promise<TestServer> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
  });
  return listen(server);
}

/** A port that refuses connections: listen, note the port, close. */
export async function refusedPort(): Promise<number> {
  const s = await startSilentServer();
  await s.close();
  return s.port;
}

/** A plain HTTP server answering `path` with `body` (e.g. an AIA caIssuers URL serving a DER intermediate), 404 otherwise. */
export async function startHttpFileServer(path: string, body: Buffer, contentType = 'application/pkix-cert'): Promise<TestServer & { url: string; hits(): number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    hits++;
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length }).end(body);
  });
  const s = await listen(server);
  return { ...s, url: `http://127.0.0.1:${s.port}${path}`, hits: () => hits };
}
