/**
 * Turns the validated file (either form) into `Config`: one `services` array,
 * service-level settings merged over top-level defaults. Problems found here are
 * collected, not thrown, so the user sees all of them at once.
 */
import { isLoopbackHost } from '../util/address.js';
import { formatDuration } from '../util/duration.js';
import { applyDocumentForms } from './normalize-forms.js';
import type { ConfigProblem } from './problem.js';
import {
  LIMIT_DEFAULTS,
  hubSettingsOf,
  type Config,
  type ConfigNotice,
  type RawConfig,
  type RawService,
  type ServiceConfig,
} from './schema.js';

export type { ConfigProblem } from './problem.js';

type ServiceInput = Omit<RawService, 'name'> & { name: string };

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

interface ServiceDefaults {
  requiredCnPattern: string | undefined;
}

function normalizeService(raw: RawConfig, svc: ServiceInput, path: string, problems: ConfigProblem[], defaults: ServiceDefaults): ServiceConfig {
  const mtls = { ...(svc.mtls ?? { mode: 'required' as const }) };
  if (mtls.required_cn_pattern === undefined && defaults.requiredCnPattern !== undefined) mtls.required_cn_pattern = defaults.requiredCnPattern;
  if (path === '' && raw.allowed_services) {
    if (mtls.allowed_services) {
      problems.push({ path: 'allowed_services', message: 'given both at the top level and under mtls: keep one (mtls.allowed_services)' });
    }
    mtls.allowed_services = raw.allowed_services;
  }
  return {
    name: svc.name,
    mode: svc.mode,
    protocol: svc.protocol,
    data_path: svc.data_path ?? 'auto',
    listen: svc.listen,
    backend: svc.backend,
    mtls: { ...mtls, mode: mtls.mode ?? 'required', revocation_refresh: mtls.revocation_refresh ?? raw.revocation_refresh },
    trusted_roots: svc.trusted_roots ?? raw.trusted_roots ?? [],
    server_cert: svc.server_cert ?? raw.server_cert,
    limits: { ...LIMIT_DEFAULTS, ...stripUndefined(raw.limits), ...stripUndefined(svc.limits) },
    authorization: svc.authorization ?? raw.authorization ?? [],
    audit: { arguments: svc.audit?.arguments ?? raw.audit?.arguments ?? false },
    pinning: { mode: svc.pinning?.mode ?? raw.pinning?.mode ?? 'block' },
    ...((svc.rate_limit ?? raw.rate_limit) ? { rate_limit: svc.rate_limit ?? raw.rate_limit } : {}),
    path,
  };
}

function stripUndefined<T extends object>(obj: T | undefined): Partial<T> {
  if (!obj) return {};
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function normalizeConfig(input: RawConfig, problems: ConfigProblem[], inheritedNotices: ConfigNotice[] = []): Config {
  const notices: ConfigNotice[] = [...inheritedNotices];
  const { raw, requiredCnPattern } = applyDocumentForms(input, problems, notices);
  const defaults: ServiceDefaults = { requiredCnPattern };
  const services: ServiceConfig[] = [];
  const singleKeys = (['listen', 'backend', 'mode', 'protocol', 'data_path', 'mtls', 'allowed_services'] as const).filter(
    (k) => raw[k] !== undefined,
  );

  if (raw.services) {
    for (const key of singleKeys) {
      problems.push({ path: key, message: 'belongs to a service: with a services list, put it inside the service entry' });
    }
    raw.services.forEach((svc, i) => services.push(normalizeService(raw, svc, `services[${i}]`, problems, defaults)));
  } else if (raw.listen || raw.backend) {
    if (!raw.listen) problems.push({ path: 'listen', message: 'is required when backend is set (e.g. listen: { address: "127.0.0.1:8443" })' });
    if (!raw.backend) problems.push({ path: 'backend', message: 'is required when listen is set (e.g. backend: { address: "127.0.0.1:8080" })' });
    if (raw.listen && raw.backend) {
      services.push(
        normalizeService(
          raw,
          {
            name: raw.service_id ?? 'default',
            mode: raw.mode ?? 'server',
            protocol: raw.protocol ?? 'tcp',
            data_path: raw.data_path,
            listen: raw.listen,
            backend: raw.backend,
            mtls: raw.mtls,
            trusted_roots: raw.trusted_roots,
            server_cert: raw.server_cert,
            limits: raw.limits,
            authorization: raw.authorization,
            audit: raw.audit,
            pinning: raw.pinning,
            rate_limit: raw.rate_limit,
          },
          '',
          problems,
          defaults,
        ),
      );
    }
  }

  const hubSettings = hubSettingsOf(raw.hub);
  const hub = hubSettings?.urls[0];
  const selfSecure = raw.mcp.self_secure ?? true;
  const config: Config = {
    version: 1,
    state_dir: raw.state_dir,
    hub,
    hub_settings: hubSettings,
    service_id: raw.service_id,
    services,
    client_cert: raw.client_cert,
    server_cert: raw.server_cert,
    revocation_refresh: raw.revocation_refresh,
    logging: raw.logging,
    mcp: { ...raw.mcp, self_secure: selfSecure },
    admin: raw.admin,
    scan: raw.scan,
    notices,
    fips_mode: raw.fips_mode,
  };
  checkConfig(config, problems);
  serviceNotices(config, notices);
  return config;
}

function sameListener(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port === 0 || b.port === 0 || a.port !== b.port) return false;
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
  return a.host === b.host || wildcard(a.host) || wildcard(b.host);
}

/** Cross-field rules a schema cannot express. */
function checkConfig(config: Config, problems: ConfigProblem[]): void {
  const { client_cert: cc, server_cert: sc } = config;
  if (cc.renew_before !== undefined && cc.renew_before >= cc.max_ttl) {
    problems.push({ path: 'client_cert.renew_before', message: `(${formatDuration(cc.renew_before)}) must be shorter than client_cert.max_ttl (${formatDuration(cc.max_ttl)}), or certificates are renewed in a loop` });
  }
  if (cc.min_ttl > cc.max_ttl) {
    problems.push({ path: 'client_cert.min_ttl', message: `(${cc.min_ttl}ms) is greater than client_cert.max_ttl (${cc.max_ttl}ms): lower min_ttl or raise max_ttl` });
  } else if (cc.default_ttl < cc.min_ttl || cc.default_ttl > cc.max_ttl) {
    problems.push({ path: 'client_cert.default_ttl', message: 'must lie between client_cert.min_ttl and client_cert.max_ttl' });
  }
  checkServerCert(sc, 'server_cert', problems);

  const listeners: { name: string; path: string; addr: { host: string; port: number } }[] = [];
  const names = new Set<string>();
  for (const svc of config.services) {
    const at = (key: string) => join(svc.path, key);
    if (names.has(svc.name)) problems.push({ path: at('name'), message: `"${svc.name}" is used by another service: names must be unique` });
    names.add(svc.name);
    if (svc.server_cert !== config.server_cert) checkServerCert(svc.server_cert, at('server_cert'), problems);

    const clash = listeners.find((l) => sameListener(l.addr, svc.listen.address));
    if (clash) {
      problems.push({ path: at('listen.address'), message: `port ${svc.listen.address.port} is already used by service "${clash.name}" (${clash.path || 'top level'}): give each service its own port` });
    }
    listeners.push({ name: svc.name, path: svc.path, addr: svc.listen.address });

    checkBackend(svc, at, problems);
    checkDataPath(svc, at, problems);
  }

  if (config.admin.enabled) {
    const clash = listeners.find((l) => sameListener(l.addr, config.admin.address));
    if (clash) problems.push({ path: 'admin.address', message: `port ${config.admin.address.port} is already used by service "${clash.name}"` });
    if (!isLoopbackHost(config.admin.address.host) && !config.admin.allow_non_loopback) {
      problems.push({ path: 'admin.address', message: `${config.admin.address.host} is not loopback: the admin endpoint can reload the proxy; set admin.allow_non_loopback: true if that is intended` });
    }
  }
  if (config.mcp.transport !== 'stdio') {
    const clash = listeners.find((l) => sameListener(l.addr, config.mcp.sse_address));
    if (clash) problems.push({ path: 'mcp.sse_address', message: `port ${config.mcp.sse_address.port} is already used by service "${clash.name}"` });
  }
  if (!config.mcp.self_secure && !isLoopbackHost(config.mcp.sse_address.host)) {
    problems.push({ path: 'mcp.self_secure', message: `is false while mcp.sse_address (${config.mcp.sse_address.host}) is not loopback: remote MCP callers must present a client certificate; set self_secure: true` });
  }
}

function checkServerCert(sc: ServiceConfig['server_cert'], path: string, problems: ConfigProblem[]): void {
  if (sc.ttl > sc.max_ttl) problems.push({ path: `${path}.ttl`, message: 'is greater than max_ttl: lower ttl or raise max_ttl' });
  // The ACME CA and the operator's files decide the lifetime; only the local CA uses ttl.
  if (sc.provider === 'internal' && !sc.cert_file && sc.renew_before >= sc.ttl) {
    problems.push({ path: `${path}.renew_before`, message: `(${formatDuration(sc.renew_before)}) must be shorter than ttl (${formatDuration(sc.ttl)}), or the certificate is renewed in a loop` });
  }
  if (Boolean(sc.cert_file) !== Boolean(sc.key_file)) {
    problems.push({ path: `${path}.${sc.cert_file ? 'key_file' : 'cert_file'}`, message: 'is required when the other of cert_file/key_file is set' });
  }
  if (sc.provider === 'commercial' && !sc.cert_file) {
    problems.push({ path: `${path}.cert_file`, message: 'is required with provider: commercial (with key_file: the certificate and key your CA issued)' });
  }
  if (sc.provider === 'letsencrypt') {
    if (!sc.dns || sc.dns.length === 0) problems.push({ path: `${path}.domains`, message: 'lists the names to obtain the certificate for: provider letsencrypt needs at least one' });
    if (sc.cert_file) problems.push({ path: `${path}.cert_file`, message: 'does not apply to provider letsencrypt, which obtains the certificate itself: remove cert_file/key_file or use provider: commercial' });
    if (sc.ip && sc.ip.length > 0) problems.push({ path: `${path}.ip`, message: 'ACME certificates here cover DNS names only: remove ip' });
  } else if (sc.acme) {
    problems.push({ path: `${path}.acme`, message: `applies to provider letsencrypt only (provider is ${sc.provider})` });
  }
}

/** Keys that load but act in a reduced way say so once, at load. */
function serviceNotices(config: Config, notices: ConfigNotice[]): void {
  for (const svc of config.services) {
    const at = (key: string) => join(svc.path, key);
    const httpMode = svc.backend.protocol === 'http' && svc.protocol === 'tcp' && svc.mode === 'server';
    if (svc.backend.protocol === 'http' && !httpMode) {
      notices.push({ path: at('backend.protocol'), message: 'http applies to server-mode TCP services only; this service ignores it' });
    }
    if (svc.backend.health_path && !httpMode) {
      notices.push({ path: at('backend.health_path'), message: `${svc.backend.health_path} is requested only with backend.protocol: http: the health check here is a TCP connect to the backend` });
    }
    if (svc.backend.xfcc && !httpMode) {
      notices.push({ path: at('backend.xfcc'), message: 'applies to backend.protocol: http only; this service ignores it' });
    }
  }
}

/** data_path: native is a server-mode TCP byte pipe with a required client certificate: anything else is named. */
function checkDataPath(svc: ServiceConfig, at: (key: string) => string, problems: ConfigProblem[]): void {
  if (svc.data_path !== 'native') return;
  const not = (key: string, what: string) => problems.push({ path: at('data_path'), message: `native does not support ${what} (${at(key)}): set data_path: js or remove it` });
  if (svc.mode !== 'server') not('mode', 'client mode');
  if (svc.protocol !== 'tcp') not('protocol', 'protocol: mcp');
  if (svc.backend.protocol === 'http') not('backend.protocol', 'backend.protocol: http');
  if (svc.backend.proxy_protocol) not('backend.proxy_protocol', 'the PROXY protocol');
  if (svc.listen.alpn) not('listen.alpn', 'ALPN');
  if (svc.listen.tls_profile === 'fips') not('listen.tls_profile', 'tls_profile: fips');
  if (svc.mtls.mode !== 'required') not('mtls.mode', `mtls.mode: ${svc.mtls.mode} (only required)`);
  if (svc.server_cert.acme?.challenge === 'tls-alpn-01') not('server_cert.acme.challenge', 'the ACME tls-alpn-01 challenge');
}

function checkBackend(svc: ServiceConfig, at: (key: string) => string, problems: ConfigProblem[]): void {
  const b = svc.backend;
  const kinds = [b.address && 'address', b.command && 'command', b.url && 'url'].filter(Boolean) as string[];
  if (svc.protocol === 'tcp' && !b.address) {
    problems.push({ path: at('backend.address'), message: 'is required for a TCP service (e.g. "127.0.0.1:8080")' });
  }
  if (svc.protocol === 'mcp' && kinds.length !== 1) {
    problems.push({ path: at('backend'), message: 'an MCP service needs exactly one of backend.command (stdio server), backend.url (HTTP server) or backend.address' });
  }
  if (svc.protocol === 'mcp' && svc.listen.alpn) problems.push({ path: at('listen.alpn'), message: 'applies to TCP services (protocol: tcp): an MCP listener negotiates its own protocols' });
  if (b.proxy_protocol && (svc.mode === 'client' || svc.protocol !== 'tcp')) {
    problems.push({ path: at('backend.proxy_protocol'), message: 'applies to server-mode TCP services only (mode: server, protocol: tcp): remove it here' });
  }
  if (svc.mode === 'client') {
    if (svc.protocol !== 'tcp') problems.push({ path: at('protocol'), message: 'client mode carries TCP only: set protocol: tcp' });
    if (svc.mtls.mode !== 'required') problems.push({ path: at('mtls.mode'), message: 'does not apply to client mode, which always presents a certificate' });
    return; // In client mode the backend is the remote mTLS server: any address is fine.
  }
  if (b.tls) problems.push({ path: at('backend.tls'), message: 'only applies to client mode (mode: client)' });
  if (b.allow_non_loopback) return;
  if (b.address && !isLoopbackHost(b.address.host)) {
    problems.push({ path: at('backend.address'), message: `${b.address.host} is not a loopback address and the proxy forwards decrypted traffic there: set backend.allow_non_loopback: true if that is intended` });
  }
  if (b.url) {
    const host = new URL(b.url).hostname.replace(/^\[|\]$/g, '');
    if (!isLoopbackHost(host)) {
      problems.push({ path: at('backend.url'), message: `${host} is not a loopback address: set backend.allow_non_loopback: true if that is intended` });
    }
  }
}
