/**
 * Connection counters of one worker, and the reason codes used in metrics
 * labels and in `rejected_by_reason`. Counters only: per-connection detail goes
 * to the audit trail, not here.
 */
import type { WorkerStats } from '../supervisor/messages.js';

export const REJECT_REASONS = [
  'no_certificate',
  'untrusted',
  'expired',
  'not_yet_valid',
  'invalid_purpose',
  'revoked',
  'policy',
  'tls_handshake',
  'backend_unavailable',
  'backend_dial_failed',
  'remote_tls_failed',
  'draining',
  'max_connections',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface StatsCounter {
  snapshot(): WorkerStats;
  accepted(): void;
  rejected(reason: RejectReason): void;
  opened(): void;
  closed(bytesIn: number, bytesOut: number): void;
}

export function createStatsCounter(): StatsCounter {
  const stats: WorkerStats = { active: 0, accepted: 0, rejected: 0, rejected_by_reason: {}, bytes_in: 0, bytes_out: 0 };
  return {
    snapshot: () => ({ ...stats, rejected_by_reason: { ...stats.rejected_by_reason } }),
    accepted() {
      stats.accepted += 1;
    },
    rejected(reason) {
      stats.rejected += 1;
      stats.rejected_by_reason[reason] = (stats.rejected_by_reason[reason] ?? 0) + 1;
    },
    opened() {
      stats.active += 1;
    },
    closed(bytesIn, bytesOut) {
      stats.active -= 1;
      stats.bytes_in += bytesIn;
      stats.bytes_out += bytesOut;
    },
  };
}

/** Maps Node's `authorizationError` codes to our reason codes. */
export function reasonForAuthorizationError(code: string | undefined | null): RejectReason {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not_yet_valid';
    case 'INVALID_PURPOSE':
      return 'invalid_purpose';
    case 'CERT_REVOKED':
      return 'revoked';
    default:
      return 'untrusted';
  }
}
