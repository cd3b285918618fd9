/**
 * The identity policy of a service (`mtls.*`), compiled once per (re)load into
 * one function, so the per-connection check is a few set look-ups. Every rule
 * given must pass (AND); no rules means any certificate that validated passes.
 */
import type { WorkerSpec } from '../supervisor/messages.js';
import type { PeerIdentity } from './identity.js';

export interface PolicyDenial {
  /** The config key of the rule that refused the peer, e.g. `mtls.allowed_services`. */
  rule: string;
  detail: string;
}

export type IdentityPolicy = (identity: PeerIdentity) => PolicyDenial | undefined;

/**
 * An allowlist entry: exact, `*.example.org` (one DNS label), or a trailing `*`
 * for a prefix (`spiffe://example.org/ns/prod/*`).
 */
function compileMatcher(patterns: string[], kind: 'dns' | 'plain'): (value: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const dnsWildcards: string[] = [];
  for (const p of patterns) {
    if (kind === 'dns' && p.startsWith('*.')) dnsWildcards.push(p.slice(1).toLowerCase());
    else if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(kind === 'dns' ? p.toLowerCase() : p);
  }
  return (value) => {
    const v = kind === 'dns' ? value.toLowerCase() : value;
    if (exact.has(v)) return true;
    for (const prefix of prefixes) if (v.startsWith(prefix)) return true;
    for (const suffix of dnsWildcards) {
      if (v.endsWith(suffix) && !v.slice(0, -suffix.length).includes('.') && v.length > suffix.length) return true;
    }
    return false;
  };
}

const show = (values: string[]) => (values.length === 0 ? 'none' : values.map((v) => JSON.stringify(v)).join(', '));

export function compilePolicy(mtls: WorkerSpec['mtls']): IdentityPolicy {
  const checks: IdentityPolicy[] = [];
  if (mtls.allowed_services?.length) {
    const allowed = new Set(mtls.allowed_services);
    checks.push((id) =>
      id.cn !== undefined && allowed.has(id.cn) ? undefined : { rule: 'mtls.allowed_services', detail: `CN ${JSON.stringify(id.cn ?? '')} is not in the allowlist` },
    );
  }
  if (mtls.required_cn_pattern) {
    const re = new RegExp(mtls.required_cn_pattern);
    checks.push((id) =>
      id.cn !== undefined && re.test(id.cn) ? undefined : { rule: 'mtls.required_cn_pattern', detail: `CN ${JSON.stringify(id.cn ?? '')} does not match /${re.source}/` },
    );
  }
  const anyOf = (rule: string, label: string, patterns: string[] | undefined, pick: (id: PeerIdentity) => string[], kind: 'dns' | 'plain' = 'plain') => {
    if (!patterns?.length) return;
    const match = compileMatcher(patterns, kind);
    checks.push((id) => {
      const values = pick(id);
      return values.some(match) ? undefined : { rule, detail: `${label} ${show(values)} not allowed` };
    });
  };
  anyOf('mtls.allowed_organizations', 'O', mtls.allowed_organizations, (id) => id.o);
  anyOf('mtls.allowed_ous', 'OU', mtls.allowed_ous, (id) => id.ou);
  anyOf('mtls.allowed_dns_sans', 'DNS SAN', mtls.allowed_dns_sans, (id) => id.dns, 'dns');
  anyOf('mtls.allowed_uri_sans', 'URI SAN', mtls.allowed_uri_sans, (id) => id.uri);

  if (checks.length === 0) return () => undefined;
  return (id) => {
    for (const check of checks) {
      const denial = check(id);
      if (denial) return denial;
    }
    return undefined;
  };
}
