/**
 * Enrollment tokens: `tlsmcp_enr_<32 random bytes>.<sha256 of the Hub CA>`.
 * The random part authenticates the instance to the Hub once; the CA hash lets
 * the instance pin the Hub's CA before it sends anything (as kubeadm's
 * discovery hash does). Stored only as the SHA-256 of the whole token.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { TlsmcpError } from '../errors.js';
import type { HubStore } from './store.js';

const TOKEN_RE = /^tlsmcp_enr_[A-Za-z0-9_-]{43}\.([0-9a-f]{64})$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token.trim()).digest('hex');
}

/** SHA-256 of a certificate's DER, lowercase hex without separators. */
export function caFingerprint(caPem: string): string {
  return createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
}

/** The Hub CA fingerprint a token pins. */
export function pinnedCaOf(token: string): string {
  const match = TOKEN_RE.exec(token.trim());
  if (!match) {
    throw new TlsmcpError('ERR_TOKEN_INVALID', '--token is not a tlsmcp enrollment token (tlsmcp_enr_….<64 hex>)', {
      fix: 'copy the whole token printed by `tlsmcp hub token create`',
    });
  }
  return match[1]!;
}

export interface CreatedToken {
  token: string;
  service_id: string;
  expires_at: string;
}

/** Makes a single-use token for `serviceId`, valid for `ttlMs`, pinning `caPem`. */
export async function createEnrollmentToken(store: HubStore, options: { serviceId: string; ttlMs: number; now: Date; caPem: string }): Promise<CreatedToken> {
  const token = `tlsmcp_enr_${randomBytes(32).toString('base64url')}.${caFingerprint(options.caPem)}`;
  const expiresAt = new Date(options.now.getTime() + options.ttlMs).toISOString();
  await store.createToken({ hash: hashToken(token), service_id: options.serviceId, created_at: options.now.toISOString(), expires_at: expiresAt });
  return { token, service_id: options.serviceId, expires_at: expiresAt };
}
