/**
 * Maps the documents' spellings onto the canonical keys before normalization:
 * the walkthrough's flat keys (`hub_url`, `auth_token`, `tls`,
 * `certificate_policies`, `logging.audit_enabled`, `logging.metrics_port`) and
 * the specification's `server_cert.domains`. Conflicts (the same setting given
 * twice with different values) and the ambiguous `allowed_duration` are
 * problems; how a key was read is a notice.
 */
import { formatDuration } from '../util/duration.js';
import type { ConfigProblem } from './problem.js';
import type { ConfigNotice, RawConfig } from './schema.js';

const DAY = 86_400_000;
const HOURS_PER_MONTH = 730;

export interface FormResult {
  raw: RawConfig;
  /** The walkthrough's client CN pattern, a default for services that set none. */
  requiredCnPattern: string | undefined;
}

export function applyDocumentForms(input: RawConfig, problems: ConfigProblem[], notices: ConfigNotice[]): FormResult {
  const raw: RawConfig = { ...input };
  applyHub(raw, problems);
  applyTls(raw, problems);
  const requiredCnPattern = applyClientPolicy(raw, problems, notices);
  applyLogging(raw, notices);
  raw.server_cert = mergeDomains(raw.server_cert, 'server_cert', problems);
  if (raw.services) {
    raw.services = raw.services.map((svc, i) =>
      svc.server_cert ? { ...svc, server_cert: mergeDomains(svc.server_cert, `services[${i}].server_cert`, problems) } : svc,
    );
  }
  return { raw, requiredCnPattern };
}

function applyHub(raw: RawConfig, problems: ConfigProblem[]): void {
  if (raw.hub_url !== undefined) {
    if (raw.hub !== undefined) problems.push({ path: 'hub_url', message: 'is given together with hub: keep one (hub.url)' });
    else raw.hub = { url: raw.hub_url, sync_interval: 60_000 };
  }
  if (raw.auth_token !== undefined) {
    if (raw.hub === undefined) {
      problems.push({ path: 'auth_token', message: 'is set but no hub is configured: add hub_url (or hub.url), or remove it' });
    } else if (typeof raw.hub === 'string') {
      raw.hub = { url: raw.hub, auth_token: raw.auth_token, sync_interval: 60_000 };
    } else if (raw.hub.auth_token !== undefined && raw.hub.auth_token !== raw.auth_token) {
      problems.push({ path: 'auth_token', message: 'differs from hub.auth_token: keep one' });
    } else {
      raw.hub = { ...raw.hub, auth_token: raw.auth_token };
    }
  }
}

function applyTls(raw: RawConfig, problems: ConfigProblem[]): void {
  const tls = raw.tls;
  if (!tls) return;
  if (raw.services || !raw.listen) {
    problems.push({ path: 'tls', message: 'belongs to the single-service form (top-level listen and backend): with a services list, set listen.protocol, listen.ciphersuites and mtls.mode in each service' });
    return;
  }
  const listen = { ...raw.listen };
  if (tls.protocol) listen.protocol = tls.protocol;
  if (tls.cipher_suites) {
    const suites = tls.cipher_suites.join(':');
    if (listen.ciphersuites && listen.ciphersuites !== suites) problems.push({ path: 'tls.cipher_suites', message: 'differs from listen.ciphersuites: keep one' });
    listen.ciphersuites = suites;
  }
  raw.listen = listen;
  if (tls.client_auth) {
    const mode = tls.client_auth === 'none' ? 'disabled' : tls.client_auth;
    if (raw.mtls && raw.mtls.mode !== mode) {
      problems.push({ path: 'tls.client_auth', message: `(${tls.client_auth}) differs from mtls.mode (${raw.mtls.mode}): keep one` });
    }
    raw.mtls = { ...(raw.mtls ?? {}), mode };
  }
  if (tls.server_cert_renewal_days !== undefined) {
    raw.server_cert = { ...raw.server_cert, renew_before: tls.server_cert_renewal_days * DAY };
  }
}

function applyClientPolicy(raw: RawConfig, problems: ConfigProblem[], notices: ConfigNotice[]): string | undefined {
  const policy = raw.certificate_policies?.client;
  if (!policy) return undefined;
  const at = 'certificate_policies.client';
  const cc = { ...raw.client_cert };
  const { min, max } = policy.allowed_duration ?? {};
  if (min !== undefined && max !== undefined && max < min) {
    const monthsHint = /^\d+m$/.test(formatDuration(max))
      ? ` If you meant ${max / 60_000} months, write ${(max / 60_000) * HOURS_PER_MONTH}h.`
      : '';
    problems.push({
      path: `${at}.allowed_duration.max`,
      message: `${formatDuration(max)} is ${describeUnit(max)}, below allowed_duration.min (${formatDuration(min)}): the range is ambiguous, so it is not guessed.${monthsHint} Units: ms, s, m (minutes), h, d; e.g. 8760h for a year.`,
    });
  } else {
    if (min !== undefined) cc.min_ttl = min;
    if (max !== undefined) cc.max_ttl = max;
    if (cc.default_ttl > cc.max_ttl || cc.default_ttl < cc.min_ttl) {
      const clamped = Math.min(Math.max(cc.default_ttl, cc.min_ttl), cc.max_ttl);
      notices.push({ path: 'client_cert.default_ttl', message: `${formatDuration(cc.default_ttl)} lies outside ${at}.allowed_duration: certificates issued without --ttl get ${formatDuration(clamped)}` });
      cc.default_ttl = clamped;
    }
  }
  if (policy.auto_renew !== undefined) cc.auto_renew = policy.auto_renew;
  if (policy.renewal_before_expiry !== undefined) cc.renew_before = policy.renewal_before_expiry;
  raw.client_cert = cc;
  return policy.required_cn_pattern;
}

function describeUnit(ms: number): string {
  const text = formatDuration(ms);
  const unit = text.replace(/^\d+/, '');
  const n = Number(text.slice(0, text.length - unit.length));
  const names: Record<string, string> = { ms: 'millisecond', s: 'second', m: 'minute', h: 'hour', d: 'day' };
  return `${n} ${names[unit] ?? unit}${n === 1 ? '' : 's'}`;
}

function applyLogging(raw: RawConfig, notices: ConfigNotice[]): void {
  const logging = { ...raw.logging };
  if (logging.audit_enabled !== undefined) logging.audit = logging.audit_enabled;
  if (logging.metrics_port !== undefined) {
    raw.admin = { ...raw.admin, address: { host: '127.0.0.1', port: logging.metrics_port } };
    notices.push({ path: 'logging.metrics_port', message: `Prometheus metrics are served at http://127.0.0.1:${logging.metrics_port}/metrics (the admin endpoint, loopback only)` });
  }
  raw.logging = logging;
}

function mergeDomains<T extends { dns?: string[] | undefined; domains?: string[] | undefined }>(sc: T, path: string, problems: ConfigProblem[]): T {
  if (!sc.domains) return sc;
  if (sc.dns && sc.dns.join(',') !== sc.domains.join(',')) {
    problems.push({ path: `${path}.domains`, message: 'differs from dns: they name the same thing, keep one' });
    return sc;
  }
  return { ...sc, dns: sc.domains };
}
