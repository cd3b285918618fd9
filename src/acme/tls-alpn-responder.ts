/**
 * TLS-ALPN-01 (RFC 8737): the CA connects to the service's own port, offers
 * ALPN `acme-tls/1` with the domain as SNI, and expects a self-signed
 * certificate carrying the key authorization's digest (acme-client makes it).
 *
 * Where the answer comes from depends on whether the listener runs:
 *  - before the first certificate exists, nothing listens yet: a standalone
 *    listener on the service's address answers `acme-tls/1` only, for the
 *    order's lifetime (startStandaloneAlpnResponder);
 *  - for a renewal the service's workers answer on their mTLS listener
 *    (src/proxy/acme-alpn.ts), reached through the supervisor.
 */
import { once } from 'node:events';
import { createSecureContext, createServer, type SecureContext } from 'node:tls';

export const ACME_TLS_ALPN = 'acme-tls/1';

/** Where a challenge certificate for a domain is put, and taken back once the CA has looked. */
export interface AlpnChallengeSink {
  set(domain: string, certPem: string, keyPem: string): Promise<void>;
  delete(domain: string): Promise<void>;
}

export interface StandaloneAlpnResponder extends AlpnChallengeSink {
  close(): Promise<void>;
}

export async function startStandaloneAlpnResponder(host: string, port: number): Promise<StandaloneAlpnResponder> {
  const contexts = new Map<string, SecureContext>();
  const server = createServer({
    ALPNProtocols: [ACME_TLS_ALPN],
    // No default certificate: a hello for any other name fails its handshake.
    SNICallback: (name, cb) => cb(null, contexts.get(name.toLowerCase())),
  });
  server.on('secureConnection', (socket) => {
    socket.on('error', () => undefined);
    socket.end();
  });
  server.on('tlsClientError', () => undefined);
  server.listen({ port, ...(host ? { host } : {}) });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  return {
    set: async (domain, certPem, keyPem) => void contexts.set(domain.toLowerCase(), createSecureContext({ cert: certPem, key: keyPem })),
    delete: async (domain) => void contexts.delete(domain.toLowerCase()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
