import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { subtle, x509 } from '../../../src/ca/x509.js';
import { createMcpHarness, textOf, type McpHarness } from '../../helpers/mcp-harness.js';

async function makeCsr(cn: string): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys, signingAlgorithm: alg });
  return csr.toString('pem');
}

describe('tlsmcp_cert_issue', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('issues a client certificate and returns the key path only, the key written 0600', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_cert_issue', { service: 'api', cn: 'agent-1', ttl: '24h' });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'client', service: 'api', cn: 'agent-1', from_csr: false });
    expect(out.cert_pem).toContain('BEGIN CERTIFICATE');
    expect(typeof out.key_path).toBe('string');
    expect(statSync(out.key_path as string).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(result)).not.toMatch(/PRIVATE KEY/);
    const [record] = await h.deps.ca.list({ service: 'api' });
    expect(record?.serial).toBe(out.serial);
  });

  it('issues from a CSR: no key exists on the tlsmcp side', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_cert_issue', { service: 'api', csr: await makeCsr('csr-client') });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, unknown>;
    expect(out).toMatchObject({ cn: 'csr-client', from_csr: true, key_path: null });
    expect(out.key_note).toMatch(/stays with you/);
    const record = await h.deps.ca.get(out.id as string);
    expect(record.files.key).toBeUndefined();
  });

  it('refuses a TTL over policy with the policy key and a fix', async () => {
    h = await createMcpHarness();
    const result = await h.call('tlsmcp_cert_issue', { service: 'api', ttl: '365d' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ERR_CERT_TTL: .*client_cert\.max_ttl/);
    expect(textOf(result)).toMatch(/fix: /);
    expect(await h.deps.ca.list()).toHaveLength(0);
  });

  it('refuses a bad CSR and a malformed ttl', async () => {
    h = await createMcpHarness();
    const bad = await h.call('tlsmcp_cert_issue', { service: 'api', csr: '-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----' });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/ERR_CSR_INVALID/);
    const ttl = await h.call('tlsmcp_cert_issue', { service: 'api', ttl: 'a week' });
    expect(ttl.isError).toBe(true);
    expect(textOf(ttl)).toMatch(/ERR_ARGUMENT_INVALID: ttl: "a week" is not a duration/);
  });

  it('audits the call under the service with the outcome and latency', async () => {
    h = await createMcpHarness();
    await h.call('tlsmcp_cert_issue', { service: 'api', cn: 'agent-2' });
    await h.call('tlsmcp_cert_issue', { service: 'api', ttl: '365d' });
    const events = await h.deps.auditLog.read({ service: 'api', kind: 'tool_call' });
    expect(events.map((e) => e.result)).toEqual(['error', 'ok']);
    expect(events[1]).toMatchObject({ tool: 'tlsmcp_cert_issue', caller_kind: 'local', caller: 'the local caller' });
    expect(typeof events[1]?.latency_ms).toBe('number');
    expect(events[0]?.reason).toMatch(/ERR_CERT_TTL/);
  });

  it('declares honest annotations', async () => {
    h = await createMcpHarness();
    const { tools } = await h.client.listTools();
    const tool = tools.find((t) => t.name === 'tlsmcp_cert_issue');
    expect(tool?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false });
    expect(tool?.outputSchema).toBeDefined();
  });
});
