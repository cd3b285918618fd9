/**
 * The allowed range of every duration key. Keys that arm a timer stop at Node's
 * timer ceiling (about 24.8 days: beyond it `setTimeout` fires at once); keys
 * that are certificate lifetimes stop at ten years. Zero is never allowed: a
 * zero timeout fails every dial, a zero lifetime issues dead certificates.
 */
import { MAX_TIMER_MS, type DurationBounds } from '../util/duration.js';

const MS = 1;
const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const YEAR = 365 * D;

export const DURATION_BOUNDS = {
  dial_timeout: { min: 1 * MS, max: 10 * M },
  handshake_timeout: { min: 1 * MS, max: 10 * M },
  idle_timeout: { min: 1 * S, max: MAX_TIMER_MS },
  drain_timeout: { min: 1 * MS, max: 1 * H },
  revocation_refresh: { min: 100 * MS, max: 1 * D },
  health_interval: { min: 100 * MS, max: 1 * H },
  health_timeout: { min: 1 * MS, max: 1 * M },
  probe_timeout: { min: 1 * MS, max: 5 * M },
  scan_deadline: { min: 1 * S, max: 1 * H },
  sync_interval: { min: 100 * MS, max: 1 * D },
  cert_ttl: { min: 1 * S, max: 10 * YEAR },
  renew_before: { min: 1 * S, max: 10 * YEAR },
  overlap: { min: 1 * S, max: 1 * YEAR },
  job_ttl: { min: 1 * S, max: 30 * D },
  acme_retry: { min: 1 * S, max: 1 * D },
  session_idle_timeout: { min: 1 * S, max: 1 * D },
} as const satisfies Record<string, DurationBounds>;

export type DurationKind = keyof typeof DURATION_BOUNDS;
