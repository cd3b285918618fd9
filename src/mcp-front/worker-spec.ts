/**
 * What an MCP front worker needs beyond the proxy's WorkerSpec
 * (src/supervisor/messages.ts): the backend to run or reach, the authorization
 * rules, the audit settings. The supervisor sends it as `spec.mcp` in `start` and
 * `reload` (built by `mcpWorkerSpecOf`); the worker rebuilds its service from both.
 */
import { z } from 'zod';
import { authorizationRule } from '../config/primitives.js';
import type { ServiceConfig } from '../config/schema.js';
import type { WorkerSpec } from '../supervisor/messages.js';
import type { McpServiceConfig } from './service.js';

export const mcpWorkerSpecSchema = z.object({
  backend: z.object({
    command: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    url: z.string().optional(),
  }),
  authorization: z.array(authorizationRule),
  audit_arguments: z.boolean(),
  /** The audit log the worker appends `mcp_request` events to; absent when auditing is off. */
  audit_path: z.string().optional(),
});
export type McpWorkerSpec = z.infer<typeof mcpWorkerSpecSchema>;

/** `spec.mcp` for a `protocol: mcp` service. */
export function mcpWorkerSpecOf(svc: ServiceConfig, auditPath: string | undefined): McpWorkerSpec {
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
  };
}

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
    },
    backend: { ...mcp.backend, allow_non_loopback: false },
    mtls: { ...spec.mtls, revocation_refresh: 0 },
    limits: { ...spec.limits },
    authorization: mcp.authorization,
    audit: { arguments: mcp.audit_arguments },
  };
}
