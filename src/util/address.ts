/**
 * `host:port` addresses as written in config (`127.0.0.1:8443`, `[::1]:8443`,
 * `localhost:8080`), and the loopback test that keeps backends local by default.
 */
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export type AddressParse = { ok: true; value: HostPort } | { ok: false; error: string };

const ADDRESS_RE = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d+)$/;

export function parseHostPort(text: string, { allowZero = false } = {}): AddressParse {
  const match = ADDRESS_RE.exec(text.trim());
  if (!match) return { ok: false, error: `"${text}" is not host:port (e.g. 127.0.0.1:8443 or [::1]:8443)` };
  const host = (match[1] ?? match[2]) as string;
  const port = Number(match[3]);
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    return { ok: false, error: `port ${match[3]} is out of range (${min}-65535)` };
  }
  return { ok: true, value: { host, port } };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for names and addresses that can only reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
  return false;
}
