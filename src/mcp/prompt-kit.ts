/**
 * What every tlsmcp prompt is built from: completable arguments (service
 * names from the config and the CA inventory, certificate ids of the chosen
 * service), the check that a service exists, a snapshot of the service's
 * certificates for the model (only when the caller may read
 * `tlsmcp://certs/{service}`), and the numbered tool steps. Prompt files in
 * `prompts/` stay about their workflow.
 */
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { ErrorCode, McpError, type GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { CertView } from '../ca/types.js';
import { formatHostPort } from '../util/address.js';
import { authorizeResource } from './authorization.js';
import type { McpServerDeps } from './deps.js';
import { identityFromAuthInfo } from './identity.js';
import { knownServices } from './services.js';
import type { ToolExtra } from './tool-kit.js';

/** A `service` prompt argument whose completion lists the known services. */
export function serviceArgument(deps: McpServerDeps, description: string) {
  return completable(z.string().min(1).describe(description), async (value) => (await knownServices(deps)).filter((s) => s.startsWith(value ?? '')));
}

/** An optional `certificate` prompt argument whose completion lists certificate ids, of the `service` argument when one is given. */
export function certificateArgument(deps: McpServerDeps, description: string) {
  return completable(z.string().min(1).optional().describe(description), async (value, context) => {
    if (!deps.ca.exists()) return [];
    const service = context?.arguments?.service;
    const certs = await deps.ca.list(service ? { service } : {});
    return certs.map((c) => c.id).filter((id) => id.startsWith(value ?? ''));
  });
}

/** Refuses a prompt for a service tlsmcp knows nothing about, with the names it does know. */
export async function requireService(deps: McpServerDeps, service: string): Promise<void> {
  const names = await knownServices(deps);
  if (names.includes(service)) return;
  throw new McpError(ErrorCode.InvalidParams, `ERR_ARGUMENT_INVALID: service: "${service}" is not configured and has no certificates\n  fix: use one of: ${names.join(', ') || '(none)'}`);
}

/** Refuses a `certificate` argument that is unknown or belongs to another service. */
export async function requireCertificate(deps: McpServerDeps, service: string, certificate: string | undefined): Promise<void> {
  if (certificate === undefined) return;
  const cert = deps.ca.exists() ? await deps.ca.get(certificate).catch(() => undefined) : undefined;
  if (cert?.service === service) return;
  throw new McpError(
    ErrorCode.InvalidParams,
    `ERR_ARGUMENT_INVALID: certificate: "${certificate}" is not a certificate of service "${service}"\n  fix: complete the certificate argument or call tlsmcp_cert_list with service "${service}" for its ids`,
  );
}

function describeCert(c: CertView): string {
  const sans = [...c.sans.dns, ...c.sans.ip, ...c.sans.uri];
  return `- id ${c.id}: ${c.type} CN=${c.cn}${sans.length ? ` (SANs ${sans.join(', ')})` : ''}, serial ${c.serial}, ${c.status}, ${c.days_left} days left`;
}

export interface ServiceSnapshot {
  /** Lines for the model, or a sentence saying why there are none. */
  text: string;
  certs: CertView[];
  /** Where the service listens (bound port when the supervisor runs here), if configured. */
  listen: string | undefined;
}

/** The service's certificates and listener as they stand, for the prompt text. Omitted for a caller that may not read them. */
export async function serviceSnapshot(deps: McpServerDeps, service: string, extra: ToolExtra): Promise<ServiceSnapshot> {
  const running = deps.supervisor?.status().find((s) => s.name === service)?.listen;
  const configured = deps.config.services.find((s) => s.name === service);
  const listen = running ?? (configured ? formatHostPort(configured.listen.address) : undefined);
  const decision = authorizeResource(deps.config.mcp.authorization, identityFromAuthInfo(extra.authInfo), `tlsmcp://certs/${encodeURIComponent(service)}`);
  if (!decision.allowed) return { text: '(the certificate inventory is not shown: you may not read it)', certs: [], listen };
  const certs = deps.ca.exists() ? await deps.ca.list({ service }) : [];
  const text = certs.length ? certs.map(describeCert).join('\n') : '(no certificates issued for this service yet)';
  return { text, certs, listen };
}

export interface PromptStep {
  /** A tool name from tools/, or a resource URI to read. */
  call: string;
  /** The arguments to pass, as the model should write them. */
  args?: Record<string, unknown>;
  why: string;
}

/** Numbered steps, each naming the tool (or resource) and its arguments. */
export function formatSteps(steps: PromptStep[]): string {
  return steps
    .map((s, i) => `${i + 1}. ${s.call}${s.args ? ` ${JSON.stringify(s.args)}` : ''}: ${s.why}`)
    .join('\n');
}

/** A prompt result of one user message. */
export function promptResult(description: string, text: string): GetPromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] };
}
