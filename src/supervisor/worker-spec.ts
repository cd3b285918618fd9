/**
 * Turns a service's config into the plain data its worker runs on, and says
 * which changes between two configs a running worker cannot take live.
 */
import { HEALTH_CHECK_DEFAULTS, type Config, type ServiceConfig } from '../config/schema.js';
import { DEFAULT_XFCC } from '../core/xfcc.js';
import type { McpWorkerSpec, WorkerSpec } from '../protocol/messages.js';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { PINS_DIR, pinsFile } from '../state/state-dir.js';
import { nativeAddonLoads } from '../native/addon.js';
import { nativeUnsupported } from '../native/native-support.js';

/** `spec.mcp` for a `protocol: mcp` service. */
export function mcpWorkerSpecOf(
  svc: ServiceConfig,
  auditPath: string | undefined,
  mcp?: Pick<Config['mcp'], 'session_idle_timeout' | 'max_sessions_per_identity' | 'max_sessions'>,
  pinsDir?: string,
): McpWorkerSpec {
  const b = svc.backend;
  return {
    backend: {
      ...(b.command ? { command: [...b.command] } : {}),
      ...(b.env ? { env: { ...b.env } } : {}),
      ...(b.cwd ? { cwd: b.cwd } : {}),
      ...(b.url ? { url: b.url } : {}),
    },
    authorization: svc.authorization,
    audit_arguments: svc.audit.arguments,
    ...(auditPath ? { audit_path: auditPath } : {}),
    pinning: svc.pinning,
    ...(svc.rate_limit ? { rate_limit: svc.rate_limit } : {}),
    ...(pinsDir ? { pins_path: pinsFile(pinsDir, svc.name) } : {}),
    ...(mcp ? { sessions: { idle_timeout: mcp.session_idle_timeout, max_per_identity: mcp.max_sessions_per_identity, max_total: mcp.max_sessions } } : {}),
  };
}

/** `auditPath` is where an MCP front worker appends its per-request audit events. */
export function workerSpecOf(svc: ServiceConfig, config: Pick<Config, 'logging'> & { mcp?: Config['mcp'] }, auditPath?: string): WorkerSpec {
  const m = svc.mtls;
  const backend = svc.backend.address ?? { host: '127.0.0.1', port: 0 };
  const spec: WorkerSpec = {
    name: svc.name,
    mode: svc.mode,
    listen: { ...svc.listen.address },
    protocol: svc.listen.protocol,
    ...(svc.listen.ciphers ? { ciphers: svc.listen.ciphers } : {}),
    ...(svc.listen.ciphersuites ? { ciphersuites: svc.listen.ciphersuites } : {}),
    ...(svc.listen.tls_profile ? { tls_profile: svc.listen.tls_profile } : {}),
    backend: { ...backend },
    ...(svc.listen.alpn ? { alpn: [...svc.listen.alpn] } : {}),
    ...(svc.backend.proxy_protocol ? { proxy_protocol: svc.backend.proxy_protocol } : {}),
    ...(svc.backend.tls?.server_name ? { server_name: svc.backend.tls.server_name } : {}),
    ...(svc.backend.health_check ? { health_check: { ...svc.backend.health_check } } : svc.backend.health_path && svc.backend.protocol === 'http' ? { health_check: { ...HEALTH_CHECK_DEFAULTS } } : {}),
    mtls: {
      mode: m.mode,
      ...(m.allowed_services ? { allowed_services: m.allowed_services } : {}),
      ...(m.required_cn_pattern ? { required_cn_pattern: m.required_cn_pattern } : {}),
      ...(m.allowed_organizations ? { allowed_organizations: m.allowed_organizations } : {}),
      ...(m.allowed_ous ? { allowed_ous: m.allowed_ous } : {}),
      ...(m.allowed_dns_sans ? { allowed_dns_sans: m.allowed_dns_sans } : {}),
      ...(m.allowed_uri_sans ? { allowed_uri_sans: m.allowed_uri_sans } : {}),
    },
    limits: { ...svc.limits },
    audit: config.logging.audit,
    log_level: config.logging.level,
    ...(svc.backend.protocol === 'http' && svc.protocol === 'tcp' && svc.mode === 'server'
      ? { http: { xfcc: [...(svc.backend.xfcc ?? DEFAULT_XFCC)], ...(svc.backend.health_path ? { health_path: svc.backend.health_path } : {}) } }
      : {}),
    ...(svc.protocol === 'mcp' ? { mcp: mcpWorkerSpecOf(svc, config.logging.audit ? auditPath : undefined, config.mcp, auditPath ? join(dirname(auditPath), PINS_DIR) : undefined) } : {}),
  };
  return dataPathOf(svc, spec).path === 'native' ? { ...spec, data_path: 'native' } : spec;
}

/**
 * data_path: auto (the default) is the native path wherever it carries the
 * service (a server-mode TCP byte pipe with a required client certificate) and
 * the addon loads, since it is the faster one (README "The native data
 * path"); anything else (a setting it does not do, a backend given by host
 * name), or a package installed without the addon, stays on js (`why` says
 * which, for the start-up log).
 */
export function dataPathOf(svc: Pick<ServiceConfig, 'data_path' | 'server_cert'>, spec: WorkerSpec, addonLoads: () => boolean = nativeAddonLoads): { path: 'js' | 'native'; why?: string } {
  if (svc.data_path !== 'auto') return { path: svc.data_path };
  const unsupported = nativeUnsupported(spec) ?? (svc.server_cert.acme?.challenge === 'tls-alpn-01' ? 'server_cert.acme.challenge: tls-alpn-01' : undefined);
  if (unsupported) return { path: 'js', why: `the native data path does not do ${unsupported}` };
  // Node's listener dials a host name address by address (localhost may be ::1 and 127.0.0.1); the native one dials the first it resolved.
  if (isIP(spec.backend.host) === 0) return { path: 'js', why: `backend.address ${spec.backend.host} is a host name, and the native data path dials one resolved address: give an IP address to use it` };
  return addonLoads() ? { path: 'native' } : { path: 'js', why: 'the native data path addon is not built, or does not load here (npm run build:native)' };
}

/** Keys whose change needs the worker restarted (a new socket), named as in the config. */
export function restartNeededFor(current: ServiceConfig, next: ServiceConfig): string[] {
  const out: string[] = [];
  const a = current.listen.address;
  const b = next.listen.address;
  if (a.host !== b.host || a.port !== b.port) out.push('listen.address');
  if (current.mode !== next.mode) out.push('mode');
  if (current.protocol !== next.protocol) out.push('protocol');
  if (current.data_path !== next.data_path) out.push('data_path');
  if (current.limits.workers !== next.limits.workers) out.push('limits.workers');
  if ((current.backend.protocol ?? 'tcp') !== (next.backend.protocol ?? 'tcp')) out.push('backend.protocol');
  if (JSON.stringify(current.backend.health_check) !== JSON.stringify(next.backend.health_check)) out.push('backend.health_check');
  if (current.protocol === 'mcp' && current.pinning.mode !== next.pinning.mode) out.push('pinning.mode');
  return out;
}
