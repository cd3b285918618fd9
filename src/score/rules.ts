/**
 * The score's rules as data: category, the points one item costs, the most a
 * rule can cost, and the action that wins them back. Rule maxima add up to
 * each category's maximum, and the categories to 100:
 *
 *   certificates 30: expired in service 6 each (max 12); expiring within the
 *     renewal window 2 each (max 6); weak key (RSA < 2048, EC < P-256) 3 each
 *     (max 6); lifetime beyond policy max_ttl 2 each (max 6).
 *     Revoked and superseded (renewed) certificates are out of service and skipped.
 *   enforcement 30: server-mode service without mtls required: optional 8,
 *     disabled 16 (max 16); listen.protocol tls12 3 each (max 6); mTLS on with an
 *     empty allowlist 4 each (max 8).
 *   revocation 15: a revoked serial seen in a live connection 5 each (max 10);
 *     revocation list older than its refresh interval x 3, or never loaded, 5.
 *   listeners 15: the scan grade of each listener: A+/A 0, A- 1, B 3, C 5,
 *     D/E 8, F/T/M 10 (max 15); a listener that could not be scanned costs 0 and
 *     is listed as not measured.
 *   audit 10: logging.audit off 10.
 */
import type { ScoreReport } from './score-schema.js';

type Category = ScoreReport['categories'][number]['id'];

export interface Rule {
  id: string;
  category: Category;
  max: number;
  action: string;
}

export const CATEGORY_INFO: Record<Category, { title: string; max: number }> = {
  certificates: { title: 'Certificates', max: 30 },
  enforcement: { title: 'Enforcement', max: 30 },
  revocation: { title: 'Revocation hygiene', max: 15 },
  listeners: { title: 'Listener scan grades', max: 15 },
  audit: { title: 'Audit logging', max: 10 },
};

export const RULES: Record<string, Rule> = {
  'cert-expired': { id: 'cert-expired', category: 'certificates', max: 12, action: 'renew or revoke the expired certificates (tlsmcp cert renew ID / tlsmcp cert revoke ID)' },
  'cert-expiring': { id: 'cert-expiring', category: 'certificates', max: 6, action: 'renew the certificates inside the renewal window (tlsmcp cert renew ID)' },
  'cert-weak-key': { id: 'cert-weak-key', category: 'certificates', max: 6, action: 'reissue with ECDSA P-256 or RSA 2048+ and revoke the weak ones (tlsmcp cert issue ..., tlsmcp cert revoke ID)' },
  'cert-lifetime': { id: 'cert-lifetime', category: 'certificates', max: 6, action: 'reissue within the policy max_ttl (client_cert.max_ttl / server_cert.max_ttl) and revoke the long-lived ones' },
  'mtls-not-required': { id: 'mtls-not-required', category: 'enforcement', max: 16, action: 'set mtls.mode: required on these services' },
  'tls12-allowed': { id: 'tls12-allowed', category: 'enforcement', max: 6, action: 'set listen.protocol: tls13 on these services once clients support TLS 1.3' },
  'allowlist-empty': { id: 'allowlist-empty', category: 'enforcement', max: 8, action: 'name who may connect: mtls.allowed_services (or required_cn_pattern / allowed_organizations / SAN allowlists)' },
  'revoked-in-use': { id: 'revoked-in-use', category: 'revocation', max: 10, action: 'reload the proxies so they pick up the revocation list (tlsmcp reload), and find the clients still using revoked certificates' },
  'revocation-stale': { id: 'revocation-stale', category: 'revocation', max: 5, action: 'reload the revocation list (tlsmcp reload) and check revocation_refresh' },
  'listener-grade': { id: 'listener-grade', category: 'listeners', max: 15, action: 'fix the scan findings on these listeners (tlsmcp scan HOST:PORT shows each fix)' },
  'audit-off': { id: 'audit-off', category: 'audit', max: 10, action: 'set logging.audit: true' },
};

export const GRADE_POINTS: Record<string, number> = { 'A+': 0, A: 0, 'A-': 1, B: 3, C: 5, D: 8, E: 8, F: 10, T: 10, M: 10 };
