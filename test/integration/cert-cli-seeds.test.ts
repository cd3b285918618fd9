/**
 * The documents' command lines, typed as a user would: CI job certificates
 * (`cert issue --job ID --ttl 2h --output ./client.pem`, `cert list --job`,
 * `cert revoke --job`), `cert revoke --id`, `cert info` with no argument,
 * `status`/`reload` with nothing running, `reload --config`, and the log
 * formats.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCliSandbox, type CliSandbox } from '../helpers/cli.js';

interface JobCert {
  id: string;
  serial: string;
  type: string;
  cn: string;
  ou?: string;
  job?: string;
  status: string;
  not_before: string;
  not_after: string;
  revoked?: { reason: string };
}

// Each case spawns several CLI processes: give them room on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let sb: CliSandbox;
beforeEach(async () => {
  sb = createCliSandbox('tlsmcp-seeds-cli-');
  const init = await sb.run(['init']);
  expect(init.code).toBe(0);
});
afterEach(() => sb.cleanup());

describe('CI job certificates', () => {
  it('cert issue --job ID --ttl 2h --output ./client.pem: a 2h client certificate and its key in one 0600 PEM file', async () => {
    const res = await sb.run(['cert', 'issue', '--job', '4711', '--ttl', '2h', '--output', './client.pem']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('job        4711');
    const file = join(sb.dir, 'client.pem');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pem = readFileSync(file, 'utf8');
    expect(pem).toMatch(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\n$/);
    const cert = new X509Certificate(pem);
    expect(cert.subject).toContain('OU=ci-job:4711');
    expect(cert.subject).toContain('CN=ci-job-4711');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(2 * 3_600_000 + 60_000); // plus the minute of backdating
    // client by default: EKU clientAuth only
    expect(cert.toLegacyObject().ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('the TTL is capped by client_cert.job_max_ttl (default 4h; configurable)', async () => {
    const over = await sb.run(['cert', 'issue', '--job', '1', '--ttl', '5h', '--json']);
    expect(over.code).toBe(1);
    expect(JSON.parse(over.stdout).error).toMatchObject({ code: 'ERR_CERT_TTL', message: expect.stringContaining('client_cert.job_max_ttl (4h)') });
    const config = join(sb.dir, 'tlsmcp.yaml');
    writeFileSync(config, 'client_cert: { job_max_ttl: 1h }\n');
    const capped = await sb.run(['--config', config, 'cert', 'issue', '--job', '1', '--ttl', '2h', '--json']);
    expect(JSON.parse(capped.stdout).error.message).toContain('job_max_ttl (1h)');
    // Without --ttl a job certificate gets the client default, cut to the cap.
    const dflt = await sb.json<JobCert>(['--config', config, 'cert', 'issue', '--job', '1', '--json']);
    expect(Date.parse(dflt.not_after) - Date.parse(dflt.not_before)).toBe(3_600_000 + 60_000);
  });

  it('cert list --job ID [--json] lists that job\'s certificates with their job id, and only those', async () => {
    for (const job of ['100', '100', '200']) expect((await sb.run(['cert', 'issue', '--job', job, '--ttl', '1h'])).code).toBe(0);
    const listed = await sb.json<{ job: string; certs: JobCert[] }>(['cert', 'list', '--job', '100', '--json']);
    expect(listed.certs).toHaveLength(2);
    expect(listed.certs.every((c) => c.job === '100' && c.type === 'client')).toBe(true);
    const table = await sb.run(['cert', 'list', '--job', '200']);
    expect(table.stdout).toMatch(/JOB/);
    expect(table.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('cert revoke --job ID revokes all of the job\'s certificates at once and leaves other jobs alone', async () => {
    for (const job of ['7', '7', '8']) await sb.run(['cert', 'issue', '--job', job, '--ttl', '1h']);
    const res = await sb.run(['cert', 'revoke', '--job', '7']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('job 7: revoked 2 certificates');
    const seven = await sb.json<{ certs: JobCert[] }>(['cert', 'list', '--job', '7', '--json']);
    expect(seven.certs.map((c) => c.status)).toEqual(['revoked', 'revoked']);
    const eight = await sb.json<{ certs: JobCert[] }>(['cert', 'list', '--job', '8', '--json']);
    expect(eight.certs[0]?.status).toBe('valid');
    const none = await sb.run(['cert', 'revoke', '--job', 'nope']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('ERR_CERT_NOT_FOUND');
  });

  it('a job id with shell or subject metacharacters is refused as a usage error', async () => {
    const res = await sb.run(['cert', 'issue', '--job', 'a,CN=admin', '--ttl', '1h']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--job');
  });
});

describe('cert revoke --id and cert info with no argument', () => {
  it('cert revoke --id ID revokes like the positional form; both at once is a usage error', async () => {
    const a = await sb.json<JobCert>(['cert', 'issue', '--type', 'client', '--service', 'web', '--json']);
    const res = await sb.run(['cert', 'revoke', '--id', a.id, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ id: a.id, revoked: { reason: 'unspecified' } });
    const b = await sb.json<JobCert>(['cert', 'issue', '--type', 'client', '--service', 'web', '--json']);
    expect((await sb.run(['cert', 'revoke', b.id])).code).toBe(0);
    const both = await sb.run(['cert', 'revoke', b.id, '--id', b.id]);
    expect(both.code).toBe(2);
  });

  it("cert info with no argument shows this instance's server certificate: expiry and renewal date (renew_before ahead)", async () => {
    const config = join(sb.dir, 'tlsmcp.yaml');
    writeFileSync(config, 'services:\n- name: api\n  listen: ":0"\n  backend: localhost:3000\n  mtls: required\n');
    const issued = await sb.json<JobCert>(['cert', 'issue', '--type', 'server', '--service', 'api', '--dns', 'localhost', '--ttl', '90d', '--json']);
    const human = await sb.run(['--config', config, 'cert', 'info']);
    expect(human.code, human.stderr).toBe(0);
    const renew = new Date(Date.parse(issued.not_after) - 30 * 86_400_000).toISOString().slice(0, 10);
    expect(human.stdout).toContain('Server cert (service api, provider internal):');
    expect(human.stdout).toContain(`Expires: ${issued.not_after.slice(0, 10)}`);
    expect(human.stdout).toContain(`Renews:  ${renew} (30d before expiry)`);
    const json = await sb.json<{ server_certs: { service: string; id: string; renew_at: string }[] }>(['--config', config, 'cert', 'info', '--json']);
    expect(json.server_certs).toEqual([expect.objectContaining({ service: 'api', id: issued.id, renew_at: new Date(Date.parse(issued.not_after) - 30 * 86_400_000).toISOString() })]);
  });
});

describe('status and reload without a running tlsmcp; reload --config; log formats', () => {
  it('status with nothing running exits 1 with a one-line hint', async () => {
    const res = await sb.run(['status']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/no running tlsmcp.*tlsmcp run --config FILE/);
  });

  it('reload with nothing running exits 1 with a one-line hint', async () => {
    const res = await sb.run(['reload']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reload --config FILE with a broken FILE reports every problem and sends nothing', async () => {
    const config = join(sb.dir, 'bad.yaml');
    writeFileSync(config, 'limits: { dial_timeout: 0ms }\nbogus: 1\n');
    const res = await sb.run(['reload', '--config', config]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('limits.dial_timeout');
    expect(res.stderr).toContain('bogus');
  });

  it('--log-format json writes JSON lines with ISO timestamps; --log-format pretty writes lines for people (stderr only)', async () => {
    const json = await sb.run(['--log-level', 'info', '--log-format', 'json', 'cert', 'issue', '--type', 'client', '--service', 'web']);
    const line = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as { time: string; msg: string }).find((l) => l.msg === 'certificate issued');
    expect(line?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const pretty = await sb.run(['--log-level', 'info', '--log-format', 'pretty', 'cert', 'issue', '--type', 'client', '--service', 'web']);
    expect(pretty.code).toBe(0);
    expect(pretty.stderr).toMatch(/INFO.*certificate issued/);
    expect(() => JSON.parse(pretty.stderr.trim().split('\n')[0]!)).toThrow();
    expect(pretty.stdout).not.toMatch(/certificate issued\n/);
  });

  it('logging.format: pretty in the config selects the pretty format', async () => {
    const config = join(sb.dir, 'tlsmcp.yaml');
    writeFileSync(config, 'logging: { format: pretty }\n');
    const res = await sb.run(['--config', config, '--log-level', 'info', 'cert', 'issue', '--type', 'client', '--service', 'web']);
    expect(res.stderr).toMatch(/INFO.*certificate issued/);
  });
});
