/**
 * What both proxy modes record when a forwarded connection closes: counters,
 * a warning when the far side never answered, and one connection event.
 */
import type { RejectReason } from '../core/reasons.js';
import type { Logger } from '../logger.js';
import type { ConnectionEvent } from '../protocol/messages.js';
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
  /** Identity and handshake fields for the event. */
  extra?: Partial<ConnectionEvent>;
}

export function recordConnectionEnd(stats: StatsCounter, logger: Logger, service: string, emit: (event: Omit<ConnectionEvent, 'time'>) => void, end: ConnectionEnd): void {
  stats.closed(end.bytesIn, end.bytesOut);
  if (end.failure !== undefined) {
    stats.rejected(end.failureReason);
    logger.warn({ event: end.failureReason, reason: end.failureReason, service, peer: end.peer }, end.failure);
  } else {
    stats.accepted();
  }
  emit({
    result: end.failure !== undefined ? (end.failureResult ?? 'error') : 'accepted',
    ...(end.failure !== undefined ? { reason: end.failureReason, detail: end.failure } : {}),
    peer: end.peer,
    ...end.extra,
    bytes_in: end.bytesIn,
    bytes_out: end.bytesOut,
    duration_ms: Math.round(performance.now() - end.began),
  });
}
