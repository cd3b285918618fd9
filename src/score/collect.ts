/**
 * Gathers the score's input from the live system: services from the config,
 * certificates from the CA (through the CertificateAuthority interface only),
 * and, when the caller can supply them, live-connection serials, revocation
 * freshness and a scanner for the listeners. What is not supplied is left
 * null, and the score lists it as not measured rather than guessing.
 */
import type { CertificateAuthority } from '../ca/types.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import { formatHostPort } from '../util/address.js';
import type { ScoreInput } from './score-schema.js';

export interface ListenerScanResult {
  grade: string | null;
  note?: string;
}

export interface CollectScoreOptions {
  config: Config;
  ca: CertificateAuthority;
  clock?: () => Date;
  /** Serials seen in live connections, from a running supervisor. */
  liveSerials?: string[];
  /** When the running proxies last loaded the revocation list (ISO), or null for never. */
  revocationLoadedAt?: string | null;
  /** Where liveSerials/revocationLoadedAt came from (e.g. the admin endpoint's address), or why they are absent. */
  liveSource?: string | null;
  /** Scans one listener; omit to leave listener grades unmeasured. */
  scanListener?: (service: ServiceConfig, host: string, port: number) => Promise<ListenerScanResult>;
}

function allowlistEmpty(s: ServiceConfig): boolean {
  const m = s.mtls;
  return ![m.allowed_services, m.allowed_organizations, m.allowed_ous, m.allowed_dns_sans, m.allowed_uri_sans].some((l) => (l?.length ?? 0) > 0) && !m.required_cn_pattern;
}

/** The host to dial for a listener: wildcard binds are reached on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function collectScoreInput(o: CollectScoreOptions): Promise<ScoreInput> {
  const now = (o.clock ?? (() => new Date()))();
  const views = o.ca.exists() ? await o.ca.list() : [];
  const renewed = new Set(views.map((v) => v.renewed_from).filter((x): x is string => x !== undefined));
  const servers = o.config.services.filter((s) => s.mode === 'server');
  let listenerGrades: ScoreInput['listener_grades'] = null;
  if (o.scanListener) {
    const scan = o.scanListener;
    listenerGrades = [];
    // One at a time: each scan already runs its probes concurrently.
    for (const s of servers) {
      const host = dialHost(s.listen.address.host);
      const address = formatHostPort({ host, port: s.listen.address.port });
      if (s.listen.address.port === 0) {
        listenerGrades.push({ service: s.name, address, grade: null, note: 'listens on port 0 (chosen at start-up)' });
        continue;
      }
      const r = await scan(s, host, s.listen.address.port);
      listenerGrades.push({ service: s.name, address, grade: r.grade, ...(r.note ? { note: r.note } : {}) });
    }
  }
  const refresh = Math.min(o.config.revocation_refresh, ...servers.map((s) => s.mtls.revocation_refresh));
  return {
    now: now.toISOString(),
    services: o.config.services.map((s) => ({
      name: s.name,
      mode: s.mode,
      mtls_mode: s.mtls.mode,
      min_protocol: s.listen.protocol,
      allowlist_empty: allowlistEmpty(s),
    })),
    policy: { client_max_ttl_ms: o.config.client_cert.max_ttl, server_max_ttl_ms: o.config.server_cert.max_ttl },
    certs: views.map((v) => ({
      id: v.id,
      serial: v.serial,
      type: v.type,
      service: v.service,
      cn: v.cn,
      key_type: v.key_type,
      not_before: v.not_before,
      not_after: v.not_after,
      status: v.status,
      days_left: v.days_left,
      superseded: renewed.has(v.id),
    })),
    live_serials: o.liveSerials ?? null,
    revocation: o.revocationLoadedAt === undefined ? null : { loaded_at: o.revocationLoadedAt, max_age_ms: refresh },
    listener_grades: listenerGrades,
    audit_enabled: o.config.logging.audit,
    live_source: o.liveSource ?? null,
  };
}
