/**
 * Bad-input suite, config part: every case names the property it proves. The
 * common property is "a clear error": the load fails with ERR_CONFIG_INVALID,
 * naming the key at fault and what is allowed, and nothing starts.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigText } from '../../src/config/load.js';
import { TlsmcpError } from '../../src/errors.js';

interface Problem {
  path: string;
  message: string;
}

function problemsOf(load: () => unknown): Problem[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(TlsmcpError);
    expect((err as TlsmcpError).code).toBe('ERR_CONFIG_INVALID');
    return (err as TlsmcpError).details?.problems as Problem[];
  }
  throw new Error('expected the config to be rejected');
}

const yamlProblems = (text: string) => problemsOf(() => parseConfigText(text, 'bad.yaml'));
const objProblems = (value: unknown) => problemsOf(() => parseConfig(value, 'bad'));

const service = (limits: Record<string, unknown>) => ({
  listen: '127.0.0.1:0',
  backend: '127.0.0.1:9',
  limits,
});

describe('bad input: config durations (zero, huge, malformed) are errors naming the key and its range', () => {
  it('clear error: dial_timeout 0ms is refused with the 1ms-10m range', () => {
    const [p] = objProblems(service({ dial_timeout: '0ms' }));
    expect(p).toEqual({ path: 'limits.dial_timeout', message: expect.stringMatching(/0 is not allowed.*1ms-10m/) });
  });

  it('clear error: dial_timeout 11m is above its range', () => {
    expect(objProblems(service({ dial_timeout: '11m' }))[0]?.message).toMatch(/11m is above the allowed range 1ms-10m/);
  });

  it('clear error: dial_timeout 3000000s (past Node timers) is refused, not turned into a 1 ms timer', () => {
    expect(objProblems(service({ dial_timeout: '3000000s' }))[0]).toMatchObject({ path: 'limits.dial_timeout', message: expect.stringContaining("longer than Node's timers") });
  });

  it('clear error: idle_timeout 30d (past the 24.8-day timer ceiling) is refused with the range', () => {
    expect(objProblems(service({ idle_timeout: '30d' }))[0]).toMatchObject({ path: 'limits.idle_timeout', message: expect.stringMatching(/longer than Node's timers.*1s-24d20h31m23s647ms/) });
  });

  it('clear error: handshake_timeout 0s is refused', () => {
    expect(objProblems(service({ handshake_timeout: '0s' }))[0]?.path).toBe('limits.handshake_timeout');
  });

  it('clear error: drain_timeout above an hour is refused', () => {
    expect(objProblems(service({ drain_timeout: '2h' }))[0]?.path).toBe('limits.drain_timeout');
  });

  it('clear error: revocation_refresh 0s would busy-loop and is refused', () => {
    expect(objProblems({ revocation_refresh: '0s' })[0]?.path).toBe('revocation_refresh');
  });

  it('clear error: a duration with 20 digits is refused as not a duration (no precision loss)', () => {
    expect(objProblems(service({ dial_timeout: '99999999999999999999ms' }))[0]?.message).toMatch(/is not a duration/);
  });

  it('clear error: a number where a duration string belongs names the expected type', () => {
    expect(objProblems(service({ dial_timeout: 5 }))[0]).toMatchObject({ path: 'limits.dial_timeout', message: expect.stringMatching(/string/) });
  });

  it('clear error: a negative duration is not a duration', () => {
    expect(objProblems(service({ idle_timeout: '-5s' }))[0]?.message).toMatch(/is not a duration/);
  });

  it('clear error: a unit that is not ms/s/m/h/d (e.g. 1y, 1w) gets the duration hint', () => {
    expect(objProblems(service({ idle_timeout: '1w' }))[0]?.message).toMatch(/ms, s, m, h or d/);
  });

  it('clear error: a zero certificate lifetime (client_cert.default_ttl 0d) is refused', () => {
    expect(objProblems({ client_cert: { default_ttl: '0d' } })[0]?.path).toBe('client_cert.default_ttl');
  });

  it('clear error: a server certificate lifetime past ten years is refused', () => {
    expect(objProblems({ server_cert: { ttl: '4000d', max_ttl: '5000d' } }).map((p) => p.path)).toEqual(['server_cert.ttl', 'server_cert.max_ttl']);
  });

  it('clear error: health_check.interval 0ms is refused', () => {
    expect(objProblems({ listen: '127.0.0.1:0', backend: { address: '127.0.0.1:9', health_check: { interval: '0ms' } } })[0]?.path).toBe('backend.health_check.interval');
  });

  it('clear error: hub.sync_interval of 1ms would hammer the Hub and is refused', () => {
    expect(objProblems({ hub: { url: 'https://hub.example.org', sync_interval: '1ms' } })[0]?.path).toBe('hub.sync_interval');
  });
});

describe('bad input: policy regular expressions', () => {
  it('clear error, no stalled worker: the catastrophic required_cn_pattern ^(a+)+$ is a config error', () => {
    const [p] = objProblems({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { required_cn_pattern: '^(a+)+$' } });
    expect(p).toMatchObject({ path: 'mtls.required_cn_pattern', message: expect.stringContaining('backtrack catastrophically') });
  });

  it('clear error: (a|a)*-style nested quantifier (x+x+)+y in an authorization cn_pattern is refused', () => {
    const problems = objProblems({ mcp: { authorization: [{ identity: { cn_pattern: '(x+x+)+y' }, allow_tools: ['*'] }] } });
    expect(problems[0]?.path).toBe('mcp.authorization[0].identity.cn_pattern');
  });

  it('clear error: the walkthrough key certificate_policies.client.required_cn_pattern is checked the same way', () => {
    expect(objProblems({ certificate_policies: { client: { required_cn_pattern: '^([a-z]*)*$' } } })[0]?.path).toBe('certificate_policies.client.required_cn_pattern');
  });

  it('clear error: a pattern that does not compile names the syntax error', () => {
    expect(objProblems({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { required_cn_pattern: '([a-z' } })[0]?.message).toMatch(/not a valid regular expression/);
  });

  it('clear error: a 5000-character pattern is refused by length', () => {
    expect(objProblems({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { required_cn_pattern: 'a'.repeat(5000) } })[0]?.message).toMatch(/at most 1000/);
  });

  it('accepted: the walkthrough pattern ^.*\\.prod$ is linear and loads', () => {
    const config = parseConfig({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { required_cn_pattern: '^.*\\.prod$' } });
    expect(config.services[0]?.mtls.required_cn_pattern).toBe('^.*\\.prod$');
  });
});

describe('bad input: types, ranges and unknown keys', () => {
  it('clear error: an unknown top-level key "domains" suggests server_cert.dns', () => {
    expect(objProblems({ domains: ['a.example'] })[0]).toEqual({ path: 'domains', message: 'is not a known key: did you mean "server_cert.dns"?' });
  });

  it('clear error: a top-level "audit_enabled" suggests logging.audit', () => {
    expect(objProblems({ audit_enabled: true })[0]?.message).toContain('did you mean "logging.audit"?');
  });

  it('clear error: a misspelt nested key (mtls.allowed_service) suggests the right one', () => {
    expect(objProblems({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: { allowed_service: ['web'] } })[0]).toEqual({
      path: 'mtls.allowed_service',
      message: 'is not a known key: did you mean "allowed_services"?',
    });
  });

  it('clear error: a misspelt key inside services[1].limits is found at its full path', () => {
    const p = objProblems({ services: [{ name: 'a', listen: '127.0.0.1:0', backend: '127.0.0.1:9' }, { name: 'b', listen: '127.0.0.1:0', backend: '127.0.0.1:9', limits: { dial_timout: '1s' } }] });
    expect(p[0]).toEqual({ path: 'services[1].limits.dial_timout', message: 'is not a known key: did you mean "dial_timeout"?' });
  });

  it('clear error: ghostunnel/mtlsd "target" suggests backend', () => {
    expect(objProblems({ target: '127.0.0.1:9' })[0]?.message).toContain('did you mean "backend"?');
  });

  it('clear error: a key nothing resembles gets no misleading suggestion', () => {
    expect(objProblems({ zzzzzzzz: 1 })[0]?.message).toBe('is not a known key: check its spelling and where it is nested, or remove it');
  });

  it('clear error: max_connections given as a string names the type', () => {
    expect(objProblems(service({ max_connections: '100' }))[0]?.path).toBe('limits.max_connections');
  });

  it('clear error: max_connections 0 is out of range', () => {
    expect(objProblems(service({ max_connections: 0 }))[0]?.message).toMatch(/>=1/);
  });

  it('clear error: port 70000 is out of range (1-65535)', () => {
    expect(objProblems({ listen: '127.0.0.1:70000', backend: '127.0.0.1:9' })[0]?.message).toMatch(/out of range/);
  });

  it('clear error: mtls: sometimes (not a mode) lists the allowed modes', () => {
    expect(objProblems({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', mtls: 'sometimes' })[0]).toMatchObject({ path: 'mtls.mode', message: expect.stringMatching(/required.*optional.*disabled/) });
  });

  it('clear error: logging.format text (mtlsd) lists json and pretty', () => {
    expect(objProblems({ logging: { format: 'text' } })[0]).toMatchObject({ path: 'logging.format', message: expect.stringMatching(/json.*pretty/) });
  });

  it('clear error: server_cert.provider acme (not a provider) lists the providers', () => {
    expect(objProblems({ server_cert: { provider: 'acme' } })[0]?.message).toMatch(/internal.*letsencrypt.*commercial/);
  });

  it('clear error: provider letsencrypt without domains says which key is missing', () => {
    expect(objProblems({ server_cert: { provider: 'letsencrypt' } })[0]).toMatchObject({ path: 'server_cert.domains' });
  });

  it('clear error: provider commercial without cert_file says what to supply', () => {
    expect(objProblems({ server_cert: { provider: 'commercial' } })[0]).toMatchObject({ path: 'server_cert.cert_file', message: expect.stringContaining('provider: commercial') });
  });

  it('clear error: auth_token without any hub is reported', () => {
    expect(objProblems({ auth_token: 'x' })[0]?.path).toBe('auth_token');
  });

  it('clear error: the config file as a YAML list (not a mapping) is refused at the top level', () => {
    expect(yamlProblems('- a\n- b\n')[0]?.path).toBe('(top level)');
  });

  it('clear error: a duplicate YAML key is a syntax error with its line', () => {
    expect(yamlProblems('logging:\n  level: info\nlogging:\n  level: warn\n')[0]?.path).toMatch(/^line \d+:\d+$/);
  });
});

describe('bad input: regressions found by the config fuzzer (test/fuzz/config.test.ts)', () => {
  it('clear error, no crash: a YAML alias without its anchor ("*!") is ERR_CONFIG_INVALID, not a ReferenceError', () => {
    expect(yamlProblems('*!')[0]?.path).toBe('(yaml)');
  });

  it('clear error: an empty key {"": 0} is located as [""] rather than an empty path', () => {
    expect(objProblems({ '': 0 })[0]?.path).toBe('[""]');
  });
});

describe('bad input: every problem in one pass, cross-field checks included', () => {
  it('clear error: a schema error and a cross-field error are reported together', () => {
    const problems = objProblems({
      client_cert: { min_ttl: '2d', max_ttl: '1d' },
      limits: { dial_timeout: '0ms' },
      listen: '127.0.0.1:0',
      backend: '127.0.0.1:9',
      bogus: 1,
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['limits.dial_timeout', 'bogus', 'client_cert.min_ttl']));
  });

  it('clear error: renew_before not shorter than the certificate lifetime is a cross-field problem', () => {
    expect(objProblems({ server_cert: { ttl: '10d', renew_before: '10d' } })[0]).toMatchObject({ path: 'server_cert.renew_before', message: expect.stringContaining('(10d) must be shorter than ttl (10d)') });
  });

  it('clear error: client_cert.renew_before not shorter than max_ttl is a cross-field problem', () => {
    expect(objProblems({ client_cert: { max_ttl: '1d', default_ttl: '1h', renew_before: '2d' } })[0]?.path).toBe('client_cert.renew_before');
  });

  it('clear error: the walkthrough ambiguous allowed_duration {min: 1h, max: 12m} gets the 8760h hint', () => {
    const [p] = objProblems({ certificate_policies: { client: { allowed_duration: { min: '1h', max: '12m' } } } });
    expect(p).toMatchObject({ path: 'certificate_policies.client.allowed_duration.max', message: expect.stringContaining('write 8760h') });
  });

  it('clear error: tls.client_auth contradicting mtls.mode is reported, not silently resolved', () => {
    expect(objProblems({ listen: ':0', backend: '127.0.0.1:9', tls: { client_auth: 'optional' }, mtls: { mode: 'required' } })[0]?.path).toBe('tls.client_auth');
  });

  it('clear error: server_cert.domains and dns that disagree are reported', () => {
    expect(objProblems({ server_cert: { dns: ['a.example'], domains: ['b.example'] } })[0]?.path).toBe('server_cert.domains');
  });
});
