/**
 * The posture score: a pure function from plain data (ScoreInput) to a 0-100
 * score, its breakdown by category, the items that cost points and the
 * recommendations that win them back, most valuable first. No clock, no I/O:
 * the same input always gives the same report. The rules are in rules.ts.
 */
import { CATEGORY_INFO, GRADE_POINTS, RULES } from './rules.js';
import type { ScoreInput, ScoreReport } from './score-schema.js';

type Item = ScoreReport['items'][number];

const STALE_FACTOR = 3;

function weakKey(keyType: string): boolean {
  const rsa = /^rsa-?(\d+)/i.exec(keyType);
  if (rsa) return Number(rsa[1]) < 2048;
  const ec = /(?:ecdsa|ec)-?p?(\d+)/i.exec(keyType);
  if (ec) return Number(ec[1]) < 256;
  return false;
}

function certItems(input: ScoreInput): Item[] {
  const items: Item[] = [];
  const inService = input.certs.filter((c) => c.status !== 'revoked' && !c.superseded);
  for (const c of inService) {
    const subject = `${c.type} ${c.cn} (${c.id}, service ${c.service})`;
    if (c.status === 'expired') items.push({ category: 'certificates', rule: 'cert-expired', subject, points: 6, evidence: `expired ${c.not_after}` });
    if (c.status === 'expiring') items.push({ category: 'certificates', rule: 'cert-expiring', subject, points: 2, evidence: `expires ${c.not_after} (${c.days_left} days left)` });
    if (weakKey(c.key_type)) items.push({ category: 'certificates', rule: 'cert-weak-key', subject, points: 3, evidence: `key ${c.key_type}` });
    const lifetime = Date.parse(c.not_after) - Date.parse(c.not_before);
    const max = c.type === 'server' ? input.policy.server_max_ttl_ms : input.policy.client_max_ttl_ms;
    if (lifetime > max) {
      items.push({ category: 'certificates', rule: 'cert-lifetime', subject, points: 2, evidence: `lifetime ${Math.round(lifetime / 86_400_000)} days > policy ${Math.round(max / 86_400_000)} days` });
    }
  }
  return items;
}

function enforcementItems(input: ScoreInput): Item[] {
  const items: Item[] = [];
  for (const s of input.services.filter((x) => x.mode === 'server')) {
    const subject = `service ${s.name}`;
    if (s.mtls_mode !== 'required') {
      items.push({ category: 'enforcement', rule: 'mtls-not-required', subject, points: s.mtls_mode === 'disabled' ? 16 : 8, evidence: `mtls.mode: ${s.mtls_mode}` });
    }
    if (s.min_protocol === 'tls12') items.push({ category: 'enforcement', rule: 'tls12-allowed', subject, points: 3, evidence: 'listen.protocol: tls12' });
    if (s.mtls_mode !== 'disabled' && s.allowlist_empty) {
      items.push({ category: 'enforcement', rule: 'allowlist-empty', subject, points: 4, evidence: 'no allowed_services, CN pattern, O/OU or SAN allowlist: any certificate the CA signed is accepted' });
    }
  }
  return items;
}

function revocationItems(input: ScoreInput, notMeasured: string[]): Item[] {
  const items: Item[] = [];
  if (input.live_serials === null) {
    notMeasured.push('revoked certificates in live connections (no running supervisor reported its connections)');
  } else {
    const live = new Set(input.live_serials.map((s) => s.toLowerCase()));
    for (const c of input.certs.filter((x) => x.status === 'revoked' && live.has(x.serial.toLowerCase()))) {
      items.push({ category: 'revocation', rule: 'revoked-in-use', subject: `${c.type} ${c.cn} (serial ${c.serial})`, points: 5, evidence: 'revoked, yet seen in a live connection' });
    }
  }
  if (input.revocation === null) {
    notMeasured.push('revocation list freshness (no running supervisor reported when it last loaded it)');
  } else {
    const { loaded_at, max_age_ms } = input.revocation;
    const age = loaded_at === null ? Infinity : Date.parse(input.now) - Date.parse(loaded_at);
    if (age > max_age_ms * STALE_FACTOR) {
      items.push({
        category: 'revocation',
        rule: 'revocation-stale',
        subject: 'revocation list',
        points: 5,
        evidence: loaded_at === null ? 'never loaded' : `last loaded ${loaded_at}, older than ${STALE_FACTOR} x the ${Math.round(max_age_ms / 1000)} s refresh interval`,
      });
    }
  }
  return items;
}

function listenerItems(input: ScoreInput, notMeasured: string[]): Item[] {
  if (input.listener_grades === null) {
    notMeasured.push('listener scan grades (scans not run)');
    return [];
  }
  const items: Item[] = [];
  for (const l of input.listener_grades) {
    if (l.grade === null) {
      notMeasured.push(`listener ${l.service} at ${l.address}: ${l.note ?? 'could not be scanned'}`);
      continue;
    }
    const points = GRADE_POINTS[l.grade] ?? 10;
    if (points > 0) items.push({ category: 'listeners', rule: 'listener-grade', subject: `service ${l.service} (${l.address})`, points, evidence: `scan grade ${l.grade}` });
  }
  return items;
}

export const NOTHING_TO_SCORE = 'nothing to score: no services are configured and the CA has issued no certificates';

/** Computes the score. Pure and deterministic; see rules.ts for the rules. */
export function computeScore(input: ScoreInput): ScoreReport {
  const liveSource = input.live_source ?? null;
  if (input.services.length === 0 && input.certs.length === 0) {
    // An empty setup is not a perfect one: 100 would reward having nothing.
    return { score: null, reason: NOTHING_TO_SCORE, max: 100, computed_at: input.now, categories: [], items: [], recommendations: [], not_measured: [], live_source: liveSource };
  }
  const notMeasured: string[] = [];
  const items = [
    ...certItems(input),
    ...enforcementItems(input),
    ...revocationItems(input, notMeasured),
    ...listenerItems(input, notMeasured),
    ...(input.audit_enabled ? [] : [{ category: 'audit' as const, rule: 'audit-off', subject: 'logging.audit', points: 10, evidence: 'logging.audit: false' }]),
  ].sort((a, b) => a.rule.localeCompare(b.rule) || a.subject.localeCompare(b.subject));

  const byRule = new Map<string, Item[]>();
  for (const item of items) byRule.set(item.rule, [...(byRule.get(item.rule) ?? []), item]);
  const recommendations: ScoreReport['recommendations'] = [...byRule.entries()].map(([ruleId, list]) => {
    const rule = RULES[ruleId];
    const raw = list.reduce((sum, i) => sum + i.points, 0);
    return {
      rule: ruleId,
      category: list[0]?.category ?? 'audit',
      points: Math.min(raw, rule?.max ?? raw),
      action: rule?.action ?? ruleId,
      subjects: list.map((i) => i.subject),
    };
  });
  recommendations.sort((a, b) => b.points - a.points || a.rule.localeCompare(b.rule));

  const categories = (Object.keys(CATEGORY_INFO) as (keyof typeof CATEGORY_INFO)[]).map((id) => {
    const info = CATEGORY_INFO[id];
    const lost = Math.min(info.max, recommendations.filter((r) => r.category === id).reduce((sum, r) => sum + r.points, 0));
    return { id, title: info.title, max: info.max, lost, score: info.max - lost };
  });
  const score = 100 - categories.reduce((sum, c) => sum + c.lost, 0);
  return { score, reason: null, max: 100, computed_at: input.now, categories, items, recommendations, not_measured: notMeasured, live_source: liveSource };
}
