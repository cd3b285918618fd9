/**
 * Environment overrides for containers (the walkthrough's `-e HUB_URL=…
 * -e SERVICE_ID=…`): applied to the file's values before validation, so an
 * override is checked like the file, and each one leaves a notice.
 */
import type { ConfigNotice } from './schema.js';

export interface ConfigEnv {
  HUB_URL?: string | undefined;
  SERVICE_ID?: string | undefined;
}

export function applyEnvOverrides(input: unknown, env: ConfigEnv, notices: ConfigNotice[]): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  const hubUrl = env.HUB_URL?.trim();
  if (hubUrl) {
    if (out.hub && typeof out.hub === 'object' && !Array.isArray(out.hub)) out.hub = { ...(out.hub as object), url: hubUrl };
    else if (out.hub_url !== undefined) out.hub_url = hubUrl;
    else out.hub = hubUrl;
    notices.push({ path: 'hub.url', message: `set from HUB_URL (${hubUrl})` });
  }
  const serviceId = env.SERVICE_ID?.trim();
  if (serviceId) {
    out.service_id = serviceId;
    notices.push({ path: 'service_id', message: `set from SERVICE_ID (${serviceId})` });
  }
  return out;
}
