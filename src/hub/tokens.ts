/**
 * Enrollment tokens: 32 random bytes, shown once, stored only as their SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HubStore } from './store.js';

const PREFIX = 'tlsmcp_enr_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token.trim()).digest('hex');
}

export interface CreatedToken {
  token: string;
  service_id: string;
  expires_at: string;
}

/** Makes a single-use token for `serviceId`, valid for `ttlMs`. */
export async function createEnrollmentToken(store: HubStore, serviceId: string, ttlMs: number, now: Date): Promise<CreatedToken> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
  await store.createToken({ hash: hashToken(token), service_id: serviceId, created_at: now.toISOString(), expires_at: expiresAt });
  return { token, service_id: serviceId, expires_at: expiresAt };
}
