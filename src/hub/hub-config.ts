/**
 * The Hub's own config file (`tlsmcp hub serve --config FILE`): who may
 * administer it, the extra names its server certificate covers, webhooks, and
 * the certificate TTL policy (the same client_cert/server_cert keys as a sidecar).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationMs } from '../config/primitives.js';
import { TlsmcpError } from '../errors.js';
import type { TtlPolicy } from '../ca/types.js';

/** The CN of the admin credential `tlsmcp hub init` writes. */
export const DEFAULT_ADMIN_CN = 'tlsmcp-hub-admin';
/** The service name the Hub's own certificates (admin, server) are issued under. */
export const HUB_SERVICE = 'tlsmcp-hub';

export const hubConfigSchema = z.strictObject({
  /** postgres://USER:PASSWORD@HOST:PORT/DB: the store shared by several Hub replicas; unset = the embedded SQLite store in the state dir. */
  database_url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  /** Client certificate CNs (issued by the Hub's CA) allowed to administer the Hub. */
  admins: z.array(z.string().min(1)).min(1).default([DEFAULT_ADMIN_CN]),
  /** Names the Hub's server certificate covers besides the listen host, localhost and 127.0.0.1. */
  server_names: z.array(z.string().min(1)).default([]),
  webhooks: z.array(z.strictObject({ url: z.url(), secret: z.string().min(16) })).default([]),
  client_cert: z
    .strictObject({ default_ttl: durationMs.default(7 * 86_400_000), min_ttl: durationMs.default(60_000), max_ttl: durationMs.default(90 * 86_400_000) })
    .prefault({}),
  server_cert: z.strictObject({ ttl: durationMs.default(30 * 86_400_000), max_ttl: durationMs.default(90 * 86_400_000), renew_before: durationMs.default(10 * 86_400_000) }).prefault({}),
});
export type HubConfig = z.infer<typeof hubConfigSchema>;

export function hubTtlPolicy(config: HubConfig): TtlPolicy {
  return { client: { ...config.client_cert }, server: { ...config.server_cert }, expiring_within: 7 * 86_400_000 };
}

/** Reads and validates the Hub config; no file means the defaults. */
export function loadHubConfig(file: string | undefined): HubConfig {
  if (!file) return hubConfigSchema.parse({});
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new TlsmcpError('ERR_CONFIG_INVALID', `${file}: cannot read the Hub config: ${(err as Error).message}`, { fix: 'check the path and the YAML syntax', cause: err });
  }
  const parsed = hubConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TlsmcpError('ERR_CONFIG_INVALID', `${file}: ${problems.join('; ')}`, { fix: 'correct the keys named above', details: { problems } });
  }
  return parsed.data;
}
