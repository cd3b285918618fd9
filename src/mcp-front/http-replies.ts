/**
 * Plain HTTP answers from the front before (or instead of) an MCP transport:
 * refusals, unknown sessions, wrong methods. The body is a JSON-RPC error so MCP
 * clients surface the message to the agent rather than a bare status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
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

/**
 * Reads and parses a POST body of a declared length (≤ `limit`) before it goes
 * to the SDK's Streamable HTTP transport, which then skips its own read through
 * a web ReadableStream (the costliest part of taking a request in). Resolves
 * with the parsed value, or `undefined` when the SDK should see the body itself:
 * no or an oversized Content-Length (left unread, the SDK refuses it as before),
 * or a body that is not JSON (handed back as `rawBody`, which the SDK's request
 * adapter reads, so the agent gets the SDK's own parse error as before).
 */
export function preReadJsonBody(req: IncomingMessage, limit: number): Promise<{ value: unknown } | undefined> {
  const declared = Number(req.headers['content-length']);
  if (req.method !== 'POST' || !Number.isInteger(declared) || declared < 0 || declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onError = (err: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      reject(err);
    };
    const onEnd = () => {
      req.off('error', onError);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      try {
        resolve({ value: JSON.parse(body.toString('utf8')) as unknown });
      } catch {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
        resolve(undefined);
      }
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}
