/** computeScore over hand-built states: each category loses points, with the recommendation that wins them back. */
import { describe, expect, it } from 'vitest';
import { computeScore } from '../../../src/score/compute-score.js';
import { scoreReportSchema, type ScoreInput } from '../../../src/score/score-schema.js';

const NOW = '2026-06-01T00:00:00.000Z';
const DAY = 86_400_000;
const at = (days: number) => new Date(Date.parse(NOW) + days * DAY).toISOString();

type Cert = ScoreInput['certs'][number];
const cert = (over: Partial<Cert> = {}): Cert => ({
  id: 'c1',
  serial: '0a',
  type: 'client',
  service: 'api',
  cn: 'web',
  key_type: 'ecdsa-p256',
  not_before: at(-1),
  not_after: at(6),
  status: 'valid',
  days_left: 6,
  superseded: false,
  ...over,
});

/** A state that loses nothing. */
function clean(): ScoreInput {
  return {
    now: NOW,
    services: [{ name: 'api', mode: 'server', mtls_mode: 'required', min_protocol: 'tls13', allowlist_empty: false }],
    policy: { client_max_ttl_ms: 90 * DAY, server_max_ttl_ms: 90 * DAY },
    certs: [cert()],
    live_serials: [],
    revocation: { loaded_at: at(0), max_age_ms: 1_000 },
    listener_grades: [{ service: 'api', address: '127.0.0.1:8443', grade: 'A' }],
    audit_enabled: true,
  };
}

const category = (r: ReturnType<typeof computeScore>, id: string) => r.categories.find((c) => c.id === id);

describe('computeScore', () => {
  it('scores a clean state 100 with nothing to recommend', () => {
    const r = computeScore(clean());
    expect(r.score).toBe(100);
    expect(r.recommendations).toEqual([]);
    expect(r.not_measured).toEqual([]);
    expect(() => scoreReportSchema.parse(r)).not.toThrow();
  });

  it('certificates: expired, expiring, weak key and over-long lifetime each cost points; revoked and superseded ones do not', () => {
    const input = clean();
    input.certs = [
      cert({ id: 'expired', cn: 'old', status: 'expired', not_after: at(-3), days_left: -3 }),
      cert({ id: 'expiring', cn: 'soon', status: 'expiring', not_after: at(2), days_left: 2 }),
      cert({ id: 'weak', cn: 'weak', key_type: 'rsa-1024' }),
      cert({ id: 'long', cn: 'long', not_before: at(-1), not_after: at(364) }),
      cert({ id: 'gone', cn: 'gone', status: 'expired', superseded: true }),
      cert({ id: 'revoked', cn: 'revoked', status: 'revoked', key_type: 'rsa-1024' }),
    ];
    const r = computeScore(input);
    expect(category(r, 'certificates')).toMatchObject({ max: 30, lost: 6 + 2 + 3 + 2, score: 17 });
    expect(r.score).toBe(87);
    expect(r.recommendations.map((x) => [x.rule, x.points])).toEqual([
      ['cert-expired', 6],
      ['cert-weak-key', 3],
      ['cert-expiring', 2],
      ['cert-lifetime', 2],
    ]);
    expect(r.recommendations[0]?.action).toMatch(/tlsmcp cert renew/);
    expect(r.items.map((i) => i.subject).join()).not.toMatch(/gone|revoked/);
  });

  it('caps each rule at its maximum: five expired certificates cost 12, not 30', () => {
    const input = clean();
    input.certs = [1, 2, 3, 4, 5].map((n) => cert({ id: `e${n}`, cn: `e${n}`, status: 'expired', days_left: -1 }));
    const r = computeScore(input);
    expect(r.recommendations[0]).toMatchObject({ rule: 'cert-expired', points: 12 });
    expect(r.recommendations[0]?.subjects).toHaveLength(5);
    expect(r.score).toBe(88);
  });

  it('enforcement: mtls not required, TLS 1.2 allowed and empty allowlists, most valuable first', () => {
    const input = clean();
    input.services = [
      { name: 'open', mode: 'server', mtls_mode: 'disabled', min_protocol: 'tls12', allowlist_empty: true },
      { name: 'soft', mode: 'server', mtls_mode: 'optional', min_protocol: 'tls13', allowlist_empty: true },
      { name: 'egress', mode: 'client', mtls_mode: 'disabled', min_protocol: 'tls12', allowlist_empty: true },
    ];
    const r = computeScore(input);
    // open: 16 (capped rule 16 with soft's 8) + 3; soft: allowlist 4 (open is disabled: no allowlist item); client mode is skipped.
    expect(r.recommendations.map((x) => [x.rule, x.points, x.subjects])).toEqual([
      ['mtls-not-required', 16, ['service open', 'service soft']],
      ['allowlist-empty', 4, ['service soft']],
      ['tls12-allowed', 3, ['service open']],
    ]);
    expect(category(r, 'enforcement')).toMatchObject({ lost: 23, score: 7 });
    expect(r.recommendations[0]?.action).toMatch(/mtls\.mode: required/);
  });

  it('revocation: a revoked serial in a live connection and a stale revocation list', () => {
    const input = clean();
    input.certs = [cert({ id: 'r', serial: 'abcd', status: 'revoked' })];
    input.live_serials = ['ABCD'];
    input.revocation = { loaded_at: at(-1), max_age_ms: 60_000 };
    const r = computeScore(input);
    expect(category(r, 'revocation')).toMatchObject({ max: 15, lost: 10 });
    expect(r.recommendations.map((x) => x.rule)).toEqual(['revocation-stale', 'revoked-in-use']);
    expect(r.items.find((i) => i.rule === 'revocation-stale')?.evidence).toMatch(/last loaded/);
  });

  it('listeners: each grade below A costs points; an unscannable listener is listed as not measured', () => {
    const input = clean();
    input.listener_grades = [
      { service: 'api', address: '127.0.0.1:8443', grade: 'B' },
      { service: 'legacy', address: '127.0.0.1:9443', grade: 'T' },
      { service: 'down', address: '127.0.0.1:7443', grade: null, note: 'connection refused' },
    ];
    const r = computeScore(input);
    expect(category(r, 'listeners')).toMatchObject({ lost: 13 });
    expect(r.recommendations[0]).toMatchObject({ rule: 'listener-grade', points: 13 });
    expect(r.not_measured).toEqual(['listener down at 127.0.0.1:7443: connection refused']);
  });

  it('audit logging off costs 10', () => {
    const input = clean();
    input.audit_enabled = false;
    const r = computeScore(input);
    expect(r.score).toBe(90);
    expect(r.recommendations).toEqual([{ rule: 'audit-off', category: 'audit', points: 10, action: 'set logging.audit: true', subjects: ['logging.audit'] }]);
  });

  it('says what it could not measure instead of scoring it', () => {
    const input = { ...clean(), live_serials: null, revocation: null, listener_grades: null };
    const r = computeScore(input);
    expect(r.score).toBe(100);
    expect(r.not_measured).toHaveLength(3);
  });

  it('is deterministic: the same state (in any order) gives the same report', () => {
    const input = clean();
    input.audit_enabled = false;
    input.certs = [cert({ id: 'a', cn: 'a', status: 'expired' }), cert({ id: 'b', cn: 'b', key_type: 'rsa-1024' })];
    const shuffled = { ...input, certs: [...input.certs].reverse() };
    expect(computeScore(shuffled)).toEqual(computeScore(input));
    expect(JSON.stringify(computeScore(input))).toBe(JSON.stringify(computeScore(structuredClone(input))));
  });
});
