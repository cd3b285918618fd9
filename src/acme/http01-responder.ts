/**
 * The HTTP-01 responder: a plain HTTP listener on `server_cert.acme.http_port`
 * answering `/.well-known/acme-challenge/<token>` with the key authorization
 * while an order is pending, 404 for everything else.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

export interface Http01Responder {
  set(token: string, keyAuthorization: string): void;
  delete(token: string): void;
  close(): Promise<void>;
}

const PREFIX = '/.well-known/acme-challenge/';

/** Listens on every interface (dual-stack where IPv6 exists), as the CA connects from outside. */
export async function startHttp01Responder(port: number, host?: string): Promise<Http01Responder> {
  const answers = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const answer = path.startsWith(PREFIX) ? answers.get(path.slice(PREFIX.length)) : undefined;
    if (req.method !== 'GET' || answer === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
  });
  server.listen({ port, ...(host ? { host } : {}) });
  await once(server, 'listening');
  return {
    set: (token, keyAuthorization) => void answers.set(token, keyAuthorization),
    delete: (token) => void answers.delete(token),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
