/**
 * TTL policy: how long certificates live by default and at most, and when one
 * counts as "expiring". Derived from the config's client_cert and server_cert.
 */
import type { Config } from '../config/schema.js';
import { TlsmcpError } from '../errors.js';
import { formatDuration } from '../util/duration.js';
import type { CertStatus, CertType, TtlPolicy } from './types.js';

const DAY = 86_400_000;

export function ttlPolicyFromConfig(config: Pick<Config, 'client_cert' | 'server_cert'>): TtlPolicy {
  return {
    client: { ...config.client_cert },
    server: { ttl: config.server_cert.ttl, max_ttl: config.server_cert.max_ttl, renew_before: config.server_cert.renew_before },
    expiring_within: 7 * DAY,
  };
}

/** The TTL to issue with, or a clear error naming the policy key it breaks. */
export function resolveTtl(policy: TtlPolicy, type: CertType, ttlMs: number | undefined): number {
  if (type === 'server') {
    const ttl = ttlMs ?? policy.server.ttl;
    if (ttl > policy.server.max_ttl) {
      throw new TlsmcpError('ERR_CERT_TTL', `--ttl ${formatDuration(ttl)} exceeds server_cert.max_ttl (${formatDuration(policy.server.max_ttl)})`, {
        fix: `ask for ${formatDuration(policy.server.max_ttl)} or less, or raise server_cert.max_ttl in the config`,
      });
    }
    return ttl;
  }
  const ttl = ttlMs ?? policy.client.default_ttl;
  if (ttl > policy.client.max_ttl) {
    throw new TlsmcpError('ERR_CERT_TTL', `--ttl ${formatDuration(ttl)} exceeds client_cert.max_ttl (${formatDuration(policy.client.max_ttl)})`, {
      fix: `ask for ${formatDuration(policy.client.max_ttl)} or less, or raise client_cert.max_ttl in the config`,
    });
  }
  if (ttl < policy.client.min_ttl) {
    throw new TlsmcpError('ERR_CERT_TTL', `--ttl ${formatDuration(ttl)} is below client_cert.min_ttl (${formatDuration(policy.client.min_ttl)})`, {
      fix: `ask for ${formatDuration(policy.client.min_ttl)} or more`,
    });
  }
  return ttl;
}

/**
 * valid | expiring | expired | revoked. "Expiring" is within the policy window,
 * or within the last third of the lifetime for short-lived certificates, so a
 * 24-hour certificate is not "expiring" from the moment it is issued.
 */
export function certStatus(
  record: { not_before: string; not_after: string; revoked?: unknown; type: CertType },
  policy: TtlPolicy,
  now: Date,
): { status: CertStatus; days_left: number } {
  const notAfter = Date.parse(record.not_after);
  const remaining = notAfter - now.getTime();
  const days_left = Math.floor(remaining / DAY);
  if (record.revoked) return { status: 'revoked', days_left };
  if (remaining <= 0) return { status: 'expired', days_left };
  const lifetime = notAfter - Date.parse(record.not_before);
  const window = record.type === 'server' ? policy.server.renew_before : policy.expiring_within;
  return { status: remaining < Math.min(window, lifetime / 3) ? 'expiring' : 'valid', days_left };
}
