/**
 * The tiny HTTP backend `tlsmcp run` starts in-process for the embedded demo
 * config, so `npm start` gives something to curl through mTLS at once.
 */
import type { Server } from 'node:http';
import { TlsmcpError } from '../errors.js';
import { nodeHttp } from '../util/node-http.js';

export interface DemoBackend {
  close(): Promise<void>;
}

export async function startDemoBackend(host: string, port: number): Promise<DemoBackend> {
  const server: Server = nodeHttp().createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`hello from the tlsmcp demo backend: ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new TlsmcpError('ERR_PROXY', `the demo backend cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          fix: err.code === 'EADDRINUSE' ? `another process (perhaps another tlsmcp run) holds port ${port}: stop it, or run with --config FILE` : 'run with --config FILE',
          cause: err,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
