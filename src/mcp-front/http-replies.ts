/**
 * Plain HTTP answers from the front before (or instead of) an MCP transport:
 * refusals, unknown sessions, wrong methods. The body is a JSON-RPC error so MCP
 * clients surface the message to the agent rather than a bare status.
 */
import type { ServerResponse } from 'node:http';

export function replyError(res: ServerResponse, status: number, message: string, extra: { code?: number; data?: Record<string, unknown>; headers?: Record<string, string>; close?: boolean } = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: extra.code ?? -32000, message, ...(extra.data ? { data: extra.data } : {}) } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(extra.close ? { connection: 'close' } : {}),
    ...extra.headers,
  });
  res.end(body);
}

/** Reads a JSON request body up to `limit` bytes; undefined when it is not JSON. */
export async function readJsonBody(req: import('node:http').IncomingMessage, limit: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return { ok: false, status: 413, message: `request body over ${limit} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'Parse error: request body is not JSON' };
  }
}
