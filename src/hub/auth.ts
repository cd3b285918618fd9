/**
 * Who is calling the Hub, from the client certificate of the TLS connection
 * (the handshake asks for one but refuses none, so a missing or foreign
 * certificate gets a 401 with a fix instead of a bare TLS alert): an admin (CN
 * listed in the Hub config), an enrolled instance (its certificate serial, or
 * the one its current certificate was renewed from: HubService.instanceForSerial),
 * or nobody the Hub knows (403).
 */
import type { TLSSocket } from 'node:tls';
import type { MiddlewareHandler } from 'hono';
import { TlsmcpError } from '../errors.js';
import { identityOf } from '../core/identity.js';
import type { Caller, HubEnv } from './hub-env.js';
import type { HubStore } from './store.js';
import { INSTANCE_OU, type Instance } from './types.js';

export type { Caller };

/** Paths reached without a client certificate. */
const OPEN_PATHS = new Set(['/api/v1/enroll']);

/** What authentication asks of the Hub: revocations and enrolled instances by certificate serial. */
export interface AuthDeps {
  store: Pick<HubStore, 'revocation'>;
  /** HubService.instanceForSerial. */
  instanceForSerial(serial: string, options: { renewedFrom: boolean }): Promise<Instance | undefined>;
}

export function authenticate(options: { service: AuthDeps; admins: string[] }): MiddlewareHandler<HubEnv> {
  const admins = new Set(options.admins);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const socket = c.env.incoming.socket as TLSSocket;
    const cert = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
    if (!cert) {
      throw new TlsmcpError('ERR_UNAUTHENTICATED', 'no client certificate was presented', {
        fix: 'call the Hub with a certificate from its CA: an admin one (hub init writes admin/) or an instance one (tlsmcp init --hub-url)',
      });
    }
    if (!socket.authorized) {
      throw new TlsmcpError('ERR_UNAUTHENTICATED', `the client certificate was not issued by this Hub's CA (${String(socket.authorizationError)})`, {
        fix: "use a certificate issued by this Hub's CA",
      });
    }
    const id = identityOf(cert);
    if (await options.service.store.revocation(id.serial)) {
      throw new TlsmcpError('ERR_UNAUTHENTICATED', `the client certificate ${id.serial} is revoked`, { fix: 'use a valid certificate; an instance re-enrolls with a new token' });
    }
    if (id.cn !== undefined && admins.has(id.cn)) {
      c.set('caller', { kind: 'admin', cn: id.cn, serial: id.serial });
      return next();
    }
    const instance = await options.service.instanceForSerial(id.serial, { renewedFrom: id.ou.includes(INSTANCE_OU) });
    if (instance) {
      c.set('caller', { kind: 'instance', instance, serial: id.serial });
      return next();
    }
    throw new TlsmcpError('ERR_FORBIDDEN', `certificate CN ${JSON.stringify(id.cn ?? '')} (serial ${id.serial}) is neither a Hub admin nor an enrolled instance`, {
      fix: 'list the CN under admins: in the Hub config, or enroll the instance with a token',
    });
  };
}

/** Throws 403 unless the caller is an admin. */
export function requireAdmin(caller: Caller, what: string): void {
  if (caller.kind !== 'admin') {
    throw new TlsmcpError('ERR_FORBIDDEN', `${what} is for Hub admins; instance ${caller.instance.id} may not call it`, {
      fix: 'call it with an admin certificate (the admins: list of the Hub config)',
    });
  }
}
