/**
 * Connection counters of one worker; the reason codes (metrics labels,
 * `rejected_by_reason`) are the core's one list. Counters only: per-connection detail goes
 * to the audit trail, not here.
 */
import type { RejectReason } from '../core/reasons.js';
import type { WorkerStats } from '../protocol/messages.js';

export { REJECT_REASONS, type RejectReason } from '../core/reasons.js';

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
