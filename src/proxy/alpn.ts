/**
 * ALPN (RFC 7301) for TCP services: `listen.alpn` is advertised by the
 * listener and offered upstream in client mode; the bytes are still piped.
 */
import type { TLSSocket } from 'node:tls';

/** The wire form Node keeps on a tls.Server (length-prefixed ids), for a reload to swap in. */
export function encodeAlpnList(ids: readonly string[] | undefined): Buffer | undefined {
  if (!ids?.length) return undefined;
  return Buffer.concat(ids.map((id) => Buffer.concat([Buffer.from([Buffer.byteLength(id, 'latin1')]), Buffer.from(id, 'latin1')])));
}

/** The protocol agreed in the handshake, or undefined when none was. */
export function negotiatedAlpn(socket: TLSSocket): string | undefined {
  return typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined;
}
