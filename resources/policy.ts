/**
 * `tlsmcp://policy/{service_id}`: the active policy of a configured service:
 * mTLS mode, identity allowlists, TLS versions and suites, certificate TTLs,
 * limits and the authorization rules that apply to it.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServiceConfig } from '../src/config/schema.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { readJsonResource, variable } from '../src/mcp/resource-kit.js';
import { formatHostPort } from '../src/util/address.js';
import { formatDuration } from '../src/util/duration.js';

function describePolicy(svc: ServiceConfig, deps: McpServerDeps) {
  const m = svc.mtls;
  const ms = (n: number) => formatDuration(n);
  return {
    service: svc.name,
    mode: svc.mode,
    protocol: svc.protocol,
    listen: formatHostPort(svc.listen.address),
    tls: {
      min_version: svc.listen.protocol === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
      versions: svc.listen.protocol === 'tls13' ? ['TLSv1.3'] : ['TLSv1.2', 'TLSv1.3'],
      ciphers: svc.listen.ciphers ?? null,
      ciphersuites: svc.listen.ciphersuites ?? null,
    },
    mtls: {
      mode: m.mode,
      allowed_services: m.allowed_services ?? [],
      required_cn_pattern: m.required_cn_pattern ?? null,
      allowed_organizations: m.allowed_organizations ?? [],
      allowed_ous: m.allowed_ous ?? [],
      allowed_dns_sans: m.allowed_dns_sans ?? [],
      allowed_uri_sans: m.allowed_uri_sans ?? [],
      /** No allowlist at all: any certificate from a trusted CA is admitted. */
      any_valid_certificate: [m.allowed_services, m.required_cn_pattern, m.allowed_organizations, m.allowed_ous, m.allowed_dns_sans, m.allowed_uri_sans].every(
        (v) => v === undefined || (Array.isArray(v) && v.length === 0),
      ),
      revocation_refresh: ms(m.revocation_refresh),
    },
    trusted_roots: svc.trusted_roots,
    ttl: {
      client_cert: {
        default_ttl: ms(deps.config.client_cert.default_ttl),
        min_ttl: ms(deps.config.client_cert.min_ttl),
        max_ttl: ms(deps.config.client_cert.max_ttl),
      },
      server_cert: {
        source: svc.server_cert.cert_file ? 'config' : 'ca',
        ttl: ms(svc.server_cert.ttl),
        max_ttl: ms(svc.server_cert.max_ttl),
        renew_before: ms(svc.server_cert.renew_before),
      },
    },
    limits: {
      dial_timeout: ms(svc.limits.dial_timeout),
      idle_timeout: ms(svc.limits.idle_timeout),
      handshake_timeout: ms(svc.limits.handshake_timeout),
      drain_timeout: ms(svc.limits.drain_timeout),
      max_connections: svc.limits.max_connections,
    },
    authorization: svc.authorization,
    audit_arguments: svc.audit.arguments,
  };
}

export function registerPolicyResource(server: McpServer, deps: McpServerDeps): void {
  server.registerResource(
    'policy',
    new ResourceTemplate('tlsmcp://policy/{service_id}', {
      list: async () => ({
        resources: deps.config.services.map((svc) => ({
          uri: `tlsmcp://policy/${encodeURIComponent(svc.name)}`,
          name: `policy/${svc.name}`,
          title: `Policy of ${svc.name}`,
          mimeType: 'application/json',
        })),
      }),
      complete: { service_id: (value) => deps.config.services.map((s) => s.name).filter((s) => s.startsWith(value)) },
    }),
    {
      title: 'Service policy',
      description: 'The active policy of a configured service: mTLS mode, allowlists, TLS versions and suites, certificate TTLs, limits, authorization.',
      mimeType: 'application/json',
    },
    (uri, variables, extra) =>
      readJsonResource(deps, uri, extra, async () => {
        const name = variable(variables.service_id);
        const svc = deps.config.services.find((s) => s.name === name);
        if (!svc) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service_id: "${name}" is not a configured service`, {
            fix: `use one of: ${deps.config.services.map((s) => s.name).join(', ') || '(none: the config lists no services)'}`,
          });
        }
        return describePolicy(svc, deps);
      }),
  );
}
