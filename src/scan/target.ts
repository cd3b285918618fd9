/**
 * What a scan target may be written as: `HOST[:PORT]`, `[IPv6][:PORT]`, a bare
 * IPv6 address, or `https://HOST[:PORT]/PATH` (the path is where the HTTP
 * checks such as HSTS are made). The port defaults to 443, the path to `/`.
 */
import { isIP } from 'node:net';
import { TlsmcpError } from '../errors.js';
import { parseHostPort } from '../util/address.js';

export interface ScanTargetSpec {
  host: string;
  port: number;
  /** Path and query for the HTTP checks; null when the target was not a URL (then `/`). */
  path: string | null;
}

const FIX = 'pass HOST[:PORT] (e.g. api.example.com:443, 10.0.0.5:8443, [::1]:8443) or an https:// URL (e.g. https://api.example.com/app)';

function invalid(what: string, message: string): never {
  throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${what}: ${message}`, { fix: FIX });
}

function parseUrl(text: string, what: string): ScanTargetSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(what, `"${text}" is not a valid URL`);
  }
  if (url.protocol !== 'https:') invalid(what, `"${url.protocol}//" URLs cannot be scanned: TLS needs https://`);
  if (url.username || url.password) invalid(what, 'a URL with credentials is refused (they would be sent to the target)');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) invalid(what, `"${text}" names no host`);
  const port = url.port === '' ? 443 : Number(url.port);
  return { host, port, path: `${url.pathname || '/'}${url.search}` };
}

/**
 * Parses a scan target as the CLI and the MCP tool accept it.
 * @throws TlsmcpError ERR_ARGUMENT_INVALID naming `what` (the argument).
 */
export function parseScanTarget(text: string, what = 'target'): ScanTargetSpec {
  const t = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return parseUrl(t, what);
  if (isIP(t) === 6) return { host: t, port: 443, path: null };
  const withPort = /^\[.*\]$/.test(t) || !t.includes(':') ? `${t}:443` : t;
  const parsed = parseHostPort(withPort);
  if (!parsed.ok) return invalid(what, parsed.error);
  if (/[\s/]/.test(parsed.value.host)) invalid(what, `"${parsed.value.host}" is not a host name or address`);
  return { ...parsed.value, path: null };
}
