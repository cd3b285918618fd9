/**
 * An HTTP/1.1 Upgrade (WebSocket) passed through to the backend: the request
 * goes out with the identity headers set by tlsmcp; only when the backend
 * answers `101 Switching Protocols` are the two sockets piped together. Any
 * other answer is relayed and the client connection closed, so a client can
 * never end up with a raw pipe to the backend that skips header handling.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface UpgradeOptions {
  backend: { host: string; port: number };
  /** The request headers for the backend (./forward-headers.ts, with the upgrade kept). */
  headers: Record<string, string | string[]>;
  dialTimeoutMs: number;
  onDialFailure: (detail: string) => void;
}

function head(status: number, message: string | undefined, headers: IncomingMessage['rawHeaders']): string {
  let out = `HTTP/1.1 ${status} ${message ?? ''}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${out}\r\n`;
}

export function passUpgrade(req: IncomingMessage, client: Duplex, clientHead: Buffer, options: UpgradeOptions): void {
  client.on('error', () => undefined);
  const out = request({
    host: options.backend.host,
    port: options.backend.port,
    method: req.method,
    path: req.url,
    headers: options.headers,
    agent: false,
    timeout: options.dialTimeoutMs,
  });
  const fail = (detail: string) => {
    options.onDialFailure(detail);
    if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n');
    client.destroy();
  };
  out.on('timeout', () => out.destroy(new Error(`backend did not answer the upgrade within limits.dial_timeout`)));
  out.on('error', (err: NodeJS.ErrnoException) => fail(`backend ${options.backend.host}:${options.backend.port} upgrade failed: ${err.code ?? err.message}`));
  out.on('upgrade', (res: IncomingMessage, backend: Socket, backendHead: Buffer) => {
    out.setTimeout(0);
    backend.setTimeout(0);
    backend.on('error', () => client.destroy());
    client.on('error', () => backend.destroy());
    client.write(head(res.statusCode ?? 101, res.statusMessage, res.rawHeaders));
    if (backendHead.length > 0) client.write(backendHead);
    if (clientHead.length > 0) backend.write(clientHead);
    backend.pipe(client);
    client.pipe(backend);
    backend.on('close', () => client.destroy());
    client.on('close', () => backend.destroy());
  });
  out.on('response', (res: IncomingMessage) => {
    // No switch: relay the answer, then close (no raw pipe to the backend).
    const raw = res.rawHeaders.filter((_, i, all) => {
      const name = (i % 2 === 0 ? all[i] : all[i - 1])?.toLowerCase();
      return name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding';
    });
    client.write(head(res.statusCode ?? 502, res.statusMessage, [...raw, 'connection', 'close']));
    res.pipe(client);
  });
  client.on('close', () => out.destroy());
  out.end();
}
