/**
 * Server mode on the native data path (data_path: native): the addon
 * (native/) accepts, runs the TLS handshake with OpenSSL (client certificate
 * required and verified against the service's CAs), and forwards bytes, on the
 * worker thread's own event loop. Every decision stays here and is the same one
 * server-proxy.ts makes: after each handshake the addon calls `admit`
 * synchronously with the peer's certificate, which goes through the core's
 * identity parser and compiled admission (validity, revocation, `mtls.*`
 * rules); only a yes dials the backend. Live connections are indexed by serial
 * so a revocation cuts them at once. Sessions resume from one ticket as on
 * Node's listener: a resumed one is admitted only with its certificate still
 * valid and unrevoked (OpenSSL checks neither on resumption), and the ticket
 * keys change with the trust anchors (native/src/addon.c).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { compileAdmission, type Admission } from '../core/admission.js';
import type { PeerIdentity } from '../core/identity.js';
import { REJECT_REASONS, reasonForAuthorizationError, type RejectReason } from '../core/reasons.js';
import { createSerialIndex } from '../core/serial-index.js';
import type { TlsMaterial, WorkerSpec, WorkerStats } from '../protocol/messages.js';
import { recordConnectionEnd, recordRefusal } from '../proxy/connection-end.js';
import { createIdentityCache } from '../proxy/identity-cache.js';
import { cutRevokedConnections } from '../proxy/revocation-cut.js';
import { createStatsCounter } from '../proxy/stats.js';
import { diffSpecs, type ProxyService, type ProxyServiceOptions } from '../proxy/types.js';
import { loadNativeAddon, type NativeAddon, type NativeListener } from './addon.js';
import { nativeUnsupported } from './native-support.js';
import { TlsmcpError } from '../errors.js';

interface Live {
  identity: PeerIdentity;
  peer: string;
  began: number;
  handshake_s: number;
}

export interface NativeProxyOptions extends ProxyServiceOptions {
  /** The loaded addon (tests pass a sanitizer build); loaded from native/build by default. */
  addon?: NativeAddon;
}

const KNOWN = new Set<string>(REJECT_REASONS);

async function numeric(host: string): Promise<string> {
  return isIP(host) ? host : (await lookup(host)).address;
}

export function createNativeProxy(options: NativeProxyOptions): ProxyService {
  const { logger, revocations } = options;
  let spec: WorkerSpec = options.spec;
  const unsupported = nativeUnsupported(spec);
  if (unsupported) throw new TlsmcpError('ERR_CONFIG_INVALID', `services.${spec.name}.data_path: native does not support ${unsupported}`, { fix: 'set data_path: js for this service' });
  const addon = options.addon ?? loadNativeAddon();
  const isRevoked = (serial: string) => revocations.has(serial);
  let admission: Admission = compileAdmission(spec.mtls, { isRevoked });
  const stats = createStatsCounter();
  const live = new Map<number, Live>();
  const bySerial = createSerialIndex<number>();
  const identities = createIdentityCache();
  let draining = false;
  let idleWaiters: (() => void)[] = [];

  const reject = (reason: RejectReason, detail: string, peer: string | undefined, identity?: PeerIdentity, handshake_s?: number) =>
    recordRefusal(stats, logger, spec, options.onEvent, { reason, detail, peer, identity, handshake_s });

  function admit(id: number, der: Buffer, peer: string, handshakeMs: number, resumed: boolean): boolean {
    const handshake_s = handshakeMs / 1000;
    let identity: PeerIdentity;
    try {
      identity = identities.ofDer(der);
    } catch (err) {
      // OpenSSL verified it; a certificate Node cannot read is still not admitted (an exception here would reach the event loop).
      reject('tls_handshake', `the client certificate could not be read: ${(err as Error).message}`, peer, undefined, handshake_s);
      return false;
    }
    // OpenSSL verified the chain in this handshake (a failure never gets here), or in the one that issued the resumed session's ticket.
    const refusal = admission({ identity, authorized: true, resumed: resumed === true });
    if (refusal || draining) {
      reject(refusal?.reason ?? 'draining', refusal?.detail ?? 'the service is shutting down', peer, identity, handshake_s);
      return false;
    }
    live.set(id, { identity, peer, began: performance.now(), handshake_s });
    bySerial.add(identity.serial, id);
    stats.opened();
    return true;
  }

  function onNativeEvent(kind: 'refused' | 'closed', id: number, peer: string, reason: string, detail: string, bytesIn: number, bytesOut: number) {
    if (kind === 'refused') {
      if (reason === 'verify') reject(reasonForAuthorizationError(detail), `certificate not accepted: ${detail}`, peer);
      else reject(KNOWN.has(reason) ? (reason as RejectReason) : 'tls_handshake', detail, peer);
      return;
    }
    const entry = live.get(id);
    if (!entry) return;
    live.delete(id);
    bySerial.delete(entry.identity.serial, id);
    recordConnectionEnd(stats, logger, spec.name, options.onEvent, {
      peer: entry.peer,
      bytesIn,
      bytesOut,
      began: entry.began,
      failure: reason === 'backend_dial_failed' ? detail : undefined,
      failureReason: 'backend_dial_failed',
      identity: entry.identity,
      detailed: spec.audit,
      handshake_s: entry.handshake_s,
    });
    if (live.size === 0 && idleWaiters.length > 0) {
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    }
  }

  const listener: NativeListener = new addon.Listener(admit, onNativeEvent);

  // The addon renews its ticket keys when these differ (a trust change ends resumption); reload reports it as Node's listener does.
  const trustOf = (material: TlsMaterial) => `${material.caPems.join('\n')}\0${(material.crlPems ?? []).join('\n')}`;
  let trust = trustOf(options.material);
  const applyContext = (next: WorkerSpec, material: TlsMaterial) =>
    listener.setContext(material.certPem, material.keyPem, material.caPems.join('\n'), (material.crlPems ?? []).join('\n'), next.protocol === 'tls12', next.ciphers ?? '', next.ciphersuites ?? '');
  const applyLimits = (l: WorkerSpec['limits']) => listener.setLimits(l.handshake_timeout, l.idle_timeout, l.dial_timeout, l.max_connections);

  const unsubscribe = cutRevokedConnections(revocations, bySerial, {
    service: spec.name,
    logger,
    peerOf: (id) => live.get(id)?.peer,
    cut: (id) => listener.cut(id),
  });

  const whenIdle = (deadlineMs: number) =>
    new Promise<void>((resolve) => {
      if (live.size === 0) return resolve();
      const timer = setTimeout(resolve, deadlineMs);
      idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  return {
    async listen() {
      try {
        applyContext(spec, options.material);
      } catch (err) {
        throw new TlsmcpError('ERR_CONFIG_INVALID', `services.${spec.name}: the native data path refused the TLS settings: ${(err as Error).message}`, { cause: err, fix: 'check server_cert, the client CAs and listen.ciphers/ciphersuites' });
      }
      applyLimits(spec.limits);
      listener.setBackend(await numeric(spec.backend.host), spec.backend.port);
      const bindOn = (host: string) => {
        try {
          return listener.bind(host, spec.listen.port, spec.reuse_port === true);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw Object.assign(new Error(`listen ${code}: ${(err as Error).message} ${host}:${spec.listen.port}`), { code });
        }
      };
      if (spec.listen.host !== '') return { host: spec.listen.host, port: bindOn(await numeric(spec.listen.host)) };
      // No host (listen ":8443") is every interface, as for Node's listener: "::" (IPv6 and IPv4), or 0.0.0.0 without IPv6.
      try {
        return { host: '', port: bindOn('::') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw err;
        return { host: '', port: bindOn('0.0.0.0') };
      }
    },
    reload(next, material) {
      const changes = diffSpecs(spec, next);
      applyContext(next, material);
      if (trustOf(material) !== trust) {
        trust = trustOf(material);
        changes.applied.push('trust');
      }
      applyLimits(next.limits);
      if (next.backend.host !== spec.backend.host || next.backend.port !== spec.backend.port) {
        const { host, port } = next.backend;
        if (isIP(host)) listener.setBackend(host, port);
        else void numeric(host).then((ip) => listener.setBackend(ip, port), (err: Error) => logger.warn({ event: 'backend_resolve_failed', service: next.name }, `backend ${host}: ${err.message}`));
      }
      admission = compileAdmission(next.mtls, { isRevoked });
      spec = { ...next, listen: spec.listen };
      return ['certificate', ...changes.applied];
    },
    setBackendReady(ready) {
      if (!draining) listener.setRefuse(ready ? '' : 'backend_unavailable');
    },
    stats: (): WorkerStats => ({ ...stats.snapshot(), live_serials: bySerial.keys() }),
    async drain(deadlineMs) {
      draining = true;
      listener.setRefuse('draining');
      listener.stopAccepting();
      unsubscribe();
      await whenIdle(deadlineMs);
      const forced = live.size;
      listener.close();
      // The cut connections report their end on the next loop turns.
      await whenIdle(1000);
      return forced;
    },
  };
}
