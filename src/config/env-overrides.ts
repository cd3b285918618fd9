/**
 * Environment variables a container or unit file sets instead of editing the
 * config: `HUB_URL` (the `hub` key) and `SERVICE_ID` (the `service_id` key).
 * They win over the file, so one mounted config serves many instances.
 */

const OVERRIDES = [
  { env: 'HUB_URL', key: 'hub' },
  { env: 'SERVICE_ID', key: 'service_id' },
] as const;

/** The parsed YAML document with the set, non-empty overrides applied on top. */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const set = OVERRIDES.filter((o) => env[o.env] !== undefined && env[o.env] !== '');
  if (set.length === 0 || (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw)))) return raw;
  const out: Record<string, unknown> = { ...((raw ?? {}) as Record<string, unknown>) };
  for (const o of set) out[o.key] = env[o.env];
  return out;
}
