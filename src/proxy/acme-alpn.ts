/**
 * TLS-ALPN-01 (RFC 8737) on a running mTLS listener. While a challenge is
 * pending for a domain, each new connection's ClientHello is read before TLS
 * starts: a hello that offers ALPN `acme-tls/1` for a pending domain gets the
 * challenge certificate, negotiates `acme-tls/1` and is closed once the
 * handshake is done; every other hello goes on, unchanged, to the listener's
 * own TLS (its certificate, mTLS, admission). With nothing pending the
 * listener's connection handler is the stock one: no cost per connection.
 *
 * How: tls.Server wraps each accepted socket in its 'connection' listener.
 * While challenges are pending that listener is swapped for one that peeks
 * first (the bytes read are unshifted, and TLSSocket replays a socket's
 * buffered data), then hands the socket to the stock listener or answers it.
 */
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext, type Server } from 'node:tls';
import type { Logger } from '../logger.js';

export const ACME_TLS_ALPN = 'acme-tls/1';
/** A ClientHello fits one TLS record (16 KiB); a longer prefix is not one we answer. */
const MAX_HELLO = 16_384 + 5;

export interface AcmeAlpnHook {
  /** Answer `acme-tls/1` for `domain` with this certificate (undefined: stop answering). */
  set(domain: string, pems: { certPem: string; keyPem: string } | undefined): void;
}

type ConnectionListener = (this: Server, socket: Socket) => void;

export function attachAcmeAlpn(server: Server, logger: Logger, serviceName: string): AcmeAlpnHook {
  const first = server.listeners('connection')[0] as ConnectionListener | undefined;
  if (!first) throw new Error('attachAcmeAlpn: call right after tls.createServer');
  const stock: ConnectionListener = first;
  const pending = new Map<string, SecureContext>();

  function answer(socket: Socket, context: SecureContext, domain: string): void {
    const tls = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: [ACME_TLS_ALPN] });
    tls.on('error', () => socket.destroy());
    tls.once('secure', () => {
      logger.info({ event: 'acme_challenge_answered', service: serviceName, domain, peer: socket.remoteAddress }, `answered a tls-alpn-01 validation for ${domain}`);
      tls.end();
    });
  }

  function peeking(this: Server, socket: Socket): void {
    if (pending.size === 0) {
      stock.call(this, socket);
      return;
    }
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
      const hello = readClientHello(seen);
      if (hello === 'more' && seen.length < MAX_HELLO) return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.pause();
      socket.unshift(seen);
      const context = hello !== 'more' && hello && hello.alpn.includes(ACME_TLS_ALPN) ? pending.get(hello.servername) : undefined;
      if (context && hello !== 'more' && hello) answer(socket, context, hello.servername);
      else stock.call(this, socket);
    };
    const onEnd = () => socket.destroy();
    // While peeking nobody else listens for errors on the raw socket (a reset must not throw).
    const onError = () => socket.destroy();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.on('error', onError);
  }

  let swapped = false;
  return {
    set(domain, pems) {
      const name = domain.toLowerCase();
      if (pems) pending.set(name, createSecureContext({ cert: pems.certPem, key: pems.keyPem }));
      else pending.delete(name);
      if (pending.size > 0 && !swapped) {
        server.removeListener('connection', stock);
        server.prependListener('connection', peeking);
        swapped = true;
      } else if (pending.size === 0 && swapped) {
        server.removeListener('connection', peeking);
        server.prependListener('connection', stock);
        swapped = false;
      }
    },
  };
}

/**
 * The SNI name and ALPN list of a TLS ClientHello in `data` (the first record);
 * 'more' when the record is not complete yet, undefined when it is not a ClientHello.
 */
export function readClientHello(data: Buffer): { servername: string; alpn: string[] } | 'more' | undefined {
  if (data.length < 5) return 'more';
  if (data[0] !== 0x16) return undefined;
  const recordEnd = 5 + data.readUInt16BE(3);
  if (data.length < recordEnd) return 'more';
  const r = { at: 5 };
  const need = (n: number) => {
    if (r.at + n > recordEnd) throw new RangeError('short');
  };
  const u8 = () => (need(1), data[r.at++]!);
  const u16 = () => (need(2), (r.at += 2), data.readUInt16BE(r.at - 2));
  const skip = (n: number) => (need(n), (r.at += n));
  try {
    if (u8() !== 0x01) return undefined;
    skip(3 + 2 + 32); // handshake length, client_version, random
    skip(u8()); // session id
    skip(u16()); // cipher suites
    skip(u8()); // compression methods
    if (r.at === recordEnd) return { servername: '', alpn: [] };
    const extEnd = r.at + 2 + u16();
    let servername = '';
    const alpn: string[] = [];
    while (r.at + 4 <= extEnd) {
      const type = u16();
      const len = u16();
      const end = r.at + len;
      need(len);
      if (type === 0 && len >= 5) {
        // server_name: list length, name type 0 (host_name), name
        skip(2);
        if (u8() === 0) {
          const n = u16();
          need(n);
          servername = data.toString('latin1', r.at, r.at + n).toLowerCase();
        }
      } else if (type === 16 && len >= 2) {
        skip(2);
        while (r.at < end) {
          const n = u8();
          need(n);
          alpn.push(data.toString('latin1', r.at, r.at + n));
          r.at += n;
        }
      }
      r.at = end;
    }
    return { servername, alpn };
  } catch {
    return undefined;
  }
}
