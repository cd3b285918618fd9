/**
 * The MCP front's service config, rebuilt inside its worker from the common
 * WorkerSpec and its `spec.mcp` part (src/protocol/messages.ts). The supervisor
 * builds `spec.mcp` (src/supervisor/worker-spec.ts).
 */
import type { McpWorkerSpec, WorkerSpec } from '../protocol/messages.js';
import type { McpServiceConfig } from './service.js';

/** The front's service, from what the worker was sent. */
export function mcpServiceFromSpec(spec: WorkerSpec, mcp: McpWorkerSpec): McpServiceConfig {
  return {
    name: spec.name,
    path: spec.name,
    listen: {
      address: { ...spec.listen },
      protocol: spec.protocol,
      ...(spec.ciphers ? { ciphers: spec.ciphers } : {}),
      ...(spec.ciphersuites ? { ciphersuites: spec.ciphersuites } : {}),
      ...(spec.tls_profile ? { tls_profile: spec.tls_profile } : {}),
    },
    backend: { ...mcp.backend, allow_non_loopback: false },
    mtls: { ...spec.mtls, revocation_refresh: 0 },
    limits: { ...spec.limits },
    authorization: mcp.authorization,
    audit: { arguments: mcp.audit_arguments },
    pinning: mcp.pinning ?? { mode: 'block' },
    ...(mcp.rate_limit ? { rate_limit: mcp.rate_limit } : {}),
  };
}
