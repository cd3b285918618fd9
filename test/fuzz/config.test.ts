/**
 * Property fuzzing (fast-check, fixed seed, bounded runs) of the config loader
 * and the duration parser. Properties: the loader never throws anything but
 * ERR_CONFIG_INVALID with located problems; what it accepts is inside every
 * duration key's range; the duration parser never throws and round-trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DURATION_BOUNDS } from '../../src/config/duration-bounds.js';
import { parseConfig, parseConfigText } from '../../src/config/load.js';
import { regexProblem } from '../../src/config/primitives.js';
import { isTlsmcpError } from '../../src/errors.js';
import { checkDurationBounds, formatDuration, MAX_TIMER_MS, parseDuration } from '../../src/util/duration.js';

const SEED = 20261129;
const params = (numRuns: number) => ({ seed: SEED, numRuns });

const durationText = fc.oneof(
  fc.tuple(fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom(0, 1, 3_000_000, 2_147_483_648, 10 ** 15)), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'y', '', ' s'))
    .map(([n, u]) => `${n}${u}`),
  fc.string({ maxLength: 12 }),
);
const address = fc.oneof(
  fc.constantFrom('127.0.0.1:0', ':8443', '0.0.0.0:8443', '[::1]:0', 'localhost:3000', '10.0.0.1:80', ':', 'host', '127.0.0.1:70000'),
  fc.string({ maxLength: 20 }),
);
const leaf = fc.oneof(durationText, address, fc.boolean(), fc.integer({ min: -5, max: 70_000 }), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));

const KEYS = {
  limits: ['dial_timeout', 'idle_timeout', 'handshake_timeout', 'max_connections', 'drain_timeout', 'dial_timout'],
  mtls: ['mode', 'allowed_services', 'required_cn_pattern', 'revocation_refresh', 'allowed_service'],
  server_cert: ['provider', 'ttl', 'max_ttl', 'renew_before', 'domains', 'dns', 'overlap', 'cert_file', 'key_file', 'auto_renew'],
  client_cert: ['default_ttl', 'min_ttl', 'max_ttl', 'job_max_ttl', 'renew_before', 'auto_renew'],
  logging: ['level', 'format', 'audit', 'audit_enabled', 'metrics_port'],
  tls: ['protocol', 'client_auth', 'cipher_suites', 'server_cert_renewal_days'],
  hub: ['url', 'auth_token', 'sync_interval'],
} as const;

const section = (keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), leaf, { maxKeys: 4 });
const configLike = fc.record(
  {
    listen: fc.oneof(address, fc.record({ address, protocol: fc.constantFrom('tls13', 'tls12', 'ssl3') }, { requiredKeys: [] })),
    backend: fc.oneof(address, fc.record({ address, protocol: fc.constantFrom('tcp', 'http', 'udp'), health_check: fc.oneof(fc.boolean(), section(['interval', 'timeout'])) }, { requiredKeys: [] })),
    mtls: fc.oneof(fc.constantFrom('required', 'optional', 'none'), section(KEYS.mtls)),
    limits: section(KEYS.limits),
    server_cert: section(KEYS.server_cert),
    client_cert: section(KEYS.client_cert),
    logging: section(KEYS.logging),
    tls: section(KEYS.tls),
    hub: fc.oneof(fc.constant('https://hub.example.org'), section(KEYS.hub)),
    certificate_policies: fc.record({ client: fc.record({ allowed_duration: section(['min', 'max']), renewal_before_expiry: durationText }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    revocation_refresh: durationText,
    hub_url: fc.constantFrom('https://hub.example.org', 'not a url'),
    bogus_key: leaf,
  },
  { requiredKeys: [] },
);

/** A known-good single-service config with a few keys replaced by fuzzed values. */
const mutatedGood = fc
  .record({
    dial_timeout: durationText,
    idle_timeout: fc.constantFrom('90s', '30d', '0s', '24d', '1s'),
    handshake_timeout: fc.constantFrom('10s', '0ms', '10m', '11m'),
    mtls: fc.constantFrom('required', 'optional', 'disabled', 'sometimes'),
  }, { requiredKeys: [] })
  .map(({ mtls, ...limits }) => ({ listen: ':0', backend: 'localhost:3000', ...(mtls ? { mtls } : {}), limits }));

/** The loader's contract: a Config, or ERR_CONFIG_INVALID listing located problems. */
function loadOrProblems(load: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: load() };
  } catch (err) {
    if (!isTlsmcpError(err) || err.code !== 'ERR_CONFIG_INVALID') throw err;
    const problems = err.details?.problems as { path: string; message: string }[];
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.path.length).toBeGreaterThan(0);
      expect(p.message.length).toBeGreaterThan(0);
    }
    return { ok: false };
  }
}

describe('fuzz: duration parser', () => {
  it('never throws, and returns undefined or a non-negative safe integer for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const ms = parseDuration(text);
        return ms === undefined || (Number.isSafeInteger(ms) && ms >= 0);
      }),
      params(2000),
    );
  });

  it('round-trips: formatDuration then parseDuration gives back the same milliseconds', () => {
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (ms) => parseDuration(formatDuration(ms)) === ms), params(2000));
  });

  it('reads n followed by a unit as n times the unit', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])), (n, unit) => parseDuration(`${n}${unit}`) === n * units[unit]),
      params(1000),
    );
  });

  it('checkDurationBounds accepts exactly the values inside each key range', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(DURATION_BOUNDS)), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (bounds, ms) => {
        const inside = ms >= bounds.min && ms <= bounds.max;
        return (checkDurationBounds(ms, bounds) === undefined) === inside;
      }),
      params(2000),
    );
  });
});

describe('fuzz: config loader', () => {
  it('any JSON value: a Config or ERR_CONFIG_INVALID with located problems, never a crash', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => void loadOrProblems(() => parseConfig(value, 'fuzz'))), params(500));
  });

  it('config-shaped objects: whatever is accepted keeps every timer inside its range', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(configLike, mutatedGood), (value) => {
        const result = loadOrProblems(() => parseConfig(value, 'fuzz'));
        if (!result.ok) return;
        accepted++;
        const config = result.value as ReturnType<typeof parseConfig>;
        for (const svc of config.services) {
          for (const key of ['dial_timeout', 'idle_timeout', 'handshake_timeout', 'drain_timeout'] as const) {
            expect(svc.limits[key]).toBeGreaterThanOrEqual(DURATION_BOUNDS[key].min);
            expect(svc.limits[key]).toBeLessThanOrEqual(Math.min(DURATION_BOUNDS[key].max, MAX_TIMER_MS));
          }
          expect(svc.mtls.revocation_refresh).toBeGreaterThan(0);
          if (svc.mtls.required_cn_pattern !== undefined) expect(regexProblem(svc.mtls.required_cn_pattern)).toBeUndefined();
        }
        expect(config.client_cert.min_ttl).toBeLessThanOrEqual(config.client_cert.max_ttl);
      }),
      params(1500),
    );
    // The generator must reach the accepting side too, or the property is vacuous.
    expect(accepted).toBeGreaterThan(0);
  });

  it('arbitrary YAML text: a Config or ERR_CONFIG_INVALID, never a crash', () => {
    const yamlish = fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('listen: :8443', 'mtls: required', '  - ', 'limits:\n  dial_timeout: 0ms', '{', ': :', '&a [*a]', '!!binary x')), { maxLength: 6 }).map((l) => l.join('\n'));
    fc.assert(fc.property(yamlish, (text) => void loadOrProblems(() => parseConfigText(text, 'fuzz.yaml'))), params(800));
  });

  it('regexProblem never throws for any pattern text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => regexProblem(text) === undefined || typeof regexProblem(text) === 'string'), params(1500));
  });
});
