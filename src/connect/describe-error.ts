/**
 * Turns a failed request to the remote MCP endpoint into a sentence an agent (and
 * the person reading Claude Desktop's log) can act on. HTTP refusals carry the
 * server's own JSON-RPC message (e.g. "client certificate serial … is revoked").
 * Socket-level failures say little by themselves: a Node TLS server that refuses
 * a client certificate (expired, unknown CA) just closes the connection after
 * the handshake, so a probe handshake and the certificate's own dates tell why.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface ProbeTarget {
  url: URL;
  certPem: string;
  keyPem: string;
  caPem?: string | undefined;
  servername?: string | undefined;
}

/** Error codes along an error's `cause` chain, outermost first. */
function codesOf(err: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth += 1) {
    const x = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof x.code === 'string') codes.push(x.code);
    if (typeof x.message === 'string') messages.push(x.message);
    e = x.cause;
  }
  return { codes, messages };
}

/** The JSON-RPC error message inside an HTTP error body, when there is one. */
function rpcMessageIn(text: string): string | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const body = JSON.parse(text.slice(start)) as { error?: { message?: unknown } };
    return typeof body.error?.message === 'string' ? body.error.message : undefined;
  } catch {
    return undefined;
  }
}

/** An HTTP answer that means the server will not take this certificate. */
export function isCertificateRefusal(err: unknown): boolean {
  if (err instanceof StreamableHTTPError || err instanceof SseError) return err.code === 401 || err.code === 403;
  return false;
}

const TLS_REASONS: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate and none was sent',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says the client certificate has expired',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'the server says the client certificate is revoked',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the CA that issued the client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server rejected the client certificate',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'TLS handshake failure (no common protocol version or cipher suite)',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the server does not accept this TLS version',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate does not chain to --ca (self-signed certificate in chain)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not in --ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate does not chain to --ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate does not chain to --ca',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host (use the host it was issued for)',
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
};

/** What is wrong with the client certificate itself, judged locally. */
export function localCertificateProblem(certPem: string, now: Date = new Date()): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return `--cert is not a PEM certificate (${err instanceof Error ? err.message : String(err)})`;
  }
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  if (now > notAfter) return `the client certificate expired on ${notAfter.toISOString()}; renew it (tlsmcp cert renew) and point --cert/--key at the new files`;
  if (now < notBefore) return `the client certificate is not valid before ${notBefore.toISOString()}; check this machine's clock`;
  return undefined;
}

/** Sync description: HTTP refusals and known socket/TLS error codes. */
export function describeLinkError(err: unknown, target?: URL): string {
  const where = target ? ` (${target.origin})` : '';
  if (err instanceof StreamableHTTPError || err instanceof SseError) {
    const rpc = rpcMessageIn(err.message);
    const status = err.code !== undefined ? `HTTP ${err.code}` : 'HTTP error';
    if (err.code === 401 || err.code === 403) return `the MCP server refused this client${where}: ${rpc ?? err.message} [${status}]`;
    return `the MCP server answered ${status}${where}: ${rpc ?? err.message}`;
  }
  const { codes, messages } = codesOf(err);
  const known = codes.find((c) => TLS_REASONS[c]);
  if (known) return `cannot reach the MCP server${where}: ${TLS_REASONS[known]} [${known}]`;
  return messages.length ? `request to the MCP server failed${where}: ${messages.join(': ')}` : String(err);
}

/** Handshakes once with the same certificate to see how the server treats it. */
export function probeHandshake(target: ProbeTarget, timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const port = Number(target.url.port || (target.url.protocol === 'https:' ? 443 : 80));
    let settled = false;
    const done = (verdict: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const host = target.url.hostname.replace(/^\[|\]$/g, '');
    const servername = target.servername ?? (isIP(host) ? undefined : host);
    const socket = connect({
      host,
      port,
      cert: target.certPem,
      key: target.keyPem,
      ...(target.caPem ? { ca: target.caPem } : {}),
      ...(servername ? { servername } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('secureConnect', () => socket.write(`HEAD / HTTP/1.1\r\nHost: ${target.url.host}\r\nConnection: close\r\n\r\n`));
    socket.on('data', () => done(undefined)); // the server talks HTTP to us: the certificate was accepted
    socket.on('error', (err: NodeJS.ErrnoException) => done(TLS_REASONS[err.code ?? ''] ? `${TLS_REASONS[err.code ?? '']} [${err.code}]` : err.message));
    socket.on('close', () =>
      done('the server closed the connection right after the TLS handshake: it refused the client certificate (issued by a CA it does not trust, expired, or revoked)'),
    );
  });
}

/** Full description, probing the server when the failure was below HTTP. */
export async function diagnoseLinkError(err: unknown, target: ProbeTarget): Promise<string> {
  const base = describeLinkError(err, target.url);
  if (err instanceof StreamableHTTPError || err instanceof SseError) return base;
  const local = localCertificateProblem(target.certPem);
  if (local) return `cannot reach the MCP server (${target.url.origin}): ${local}`;
  const { codes } = codesOf(err);
  if (codes.some((c) => TLS_REASONS[c])) return base;
  const probed = await probeHandshake(target);
  return probed ? `cannot reach the MCP server (${target.url.origin}): ${probed}` : base;
}
