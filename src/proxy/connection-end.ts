/**
 * What every proxy mode records when a forwarded connection closes: counters,
 * a warning when the far side never answered, and one connection event. The
 * event is built field by field, in one object (no spreads: this runs once per
 * connection on the hot path).
 */
import { describePeer, sanList, type PeerIdentity } from '../core/identity.js';
import type { RejectReason } from '../core/reasons.js';
import type { Logger } from '../logger.js';
import type { ConnectionEvent, WorkerSpec } from '../protocol/messages.js';
import type { StatsCounter } from './stats.js';

export interface ConnectionEnd {
  peer: string | undefined;
  bytesIn: number;
  bytesOut: number;
  began: number;
  /** Why the far side was never reached, when it was not. */
  failure: string | undefined;
  failureReason: RejectReason;
  /** How a failure is audited: `error` (default) or `rejected` (client mode's upstream refusals). */
  failureResult?: 'error' | 'rejected';
  /** The client's verified identity (server mode), with SANs and fingerprint when `detailed` (spec.audit). */
  identity?: PeerIdentity | undefined;
  detailed?: boolean;
  alpn?: string | undefined;
  handshake_s?: number | undefined;
}

/** Adds the identity's fields to an event: CN, serial, and with `detailed` the SANs and fingerprint. */
export function identityFields(event: ConnectionEvent, identity: PeerIdentity, detailed: boolean): void {
  if (identity.cn !== undefined) event.peer_cn = identity.cn;
  event.serial = identity.serial;
  if (detailed) {
    event.sans = sanList(identity);
    event.fingerprint = identity.fingerprint256;
  }
}

export function recordConnectionEnd(stats: StatsCounter, logger: Logger, service: string, onEvent: (event: ConnectionEvent) => void, end: ConnectionEnd): void {
  stats.closed(end.bytesIn, end.bytesOut);
  const failed = end.failure !== undefined;
  if (failed) {
    stats.rejected(end.failureReason);
    logger.warn({ event: end.failureReason, reason: end.failureReason, service, peer: end.peer }, end.failure);
  } else {
    stats.accepted();
  }
  // Fields in the order the audit line has always shown them; the byte counts close it.
  const event = { time: new Date().toISOString(), result: failed ? (end.failureResult ?? 'error') : 'accepted' } as ConnectionEvent;
  if (failed) {
    event.reason = end.failureReason;
    event.detail = end.failure;
  }
  event.peer = end.peer;
  if (end.identity) identityFields(event, end.identity, end.detailed ?? false);
  if (end.alpn) event.alpn = end.alpn;
  if (end.handshake_s !== undefined) event.handshake_s = end.handshake_s;
  event.bytes_in = end.bytesIn;
  event.bytes_out = end.bytesOut;
  event.duration_ms = Math.round(performance.now() - end.began);
  onEvent(event);
}

/**
 * What every server listener (the TCP pipe, the HTTP mode, the native data path)
 * records for a refused client: the counter by reason, one warning naming the
 * peer, and one `rejected` event with no bytes.
 */
export function recordRefusal(
  stats: StatsCounter,
  logger: Logger,
  spec: Pick<WorkerSpec, 'name' | 'audit'>,
  onEvent: (event: ConnectionEvent) => void,
  refusal: { reason: RejectReason; detail: string; peer: string | undefined; identity?: PeerIdentity | undefined; handshake_s?: number | undefined },
): void {
  const { reason, detail, peer, identity, handshake_s } = refusal;
  stats.rejected(reason);
  logger.warn({ event: 'connection_rejected', service: spec.name, reason, peer, peer_cn: identity?.cn, serial: identity?.serial }, `refused ${describePeer(identity, peer)}: ${detail}`);
  // Fields in the order the audit line has always shown them.
  const event = { time: new Date().toISOString(), result: 'rejected', reason, detail, peer } as ConnectionEvent;
  if (identity) identityFields(event, identity, spec.audit);
  event.bytes_in = 0;
  event.bytes_out = 0;
  event.duration_ms = 0;
  if (handshake_s !== undefined) event.handshake_s = handshake_s;
  onEvent(event);
}
