/**
 * Bad input, MCP tool arguments, through a real SDK Client over the in-memory
 * transport: path traversal, control characters, huge values, and scan targets
 * that reach cloud metadata or this host (169.254.169.254, 0.0.0.0, [::] and
 * names that resolve to them: numeric forms the system resolver turns into
 * those addresses, and localhost). The properties: a clean tool error (never a
 * crash or a protocol fault) naming the problem, nothing issued or revoked, and
 * no connection to a refused target.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, textOf, type McpHarness } from '../helpers/mcp-harness.js';

let h: McpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Calls a tool expecting a clean refusal: an isError result (or the SDK's invalid-params error), never a crash. */
async function refusal(harness: McpHarness, tool: string, args: Record<string, unknown>): Promise<string> {
  let result: CallToolResult;
  try {
    result = await harness.call(tool, args);
  } catch (err) {
    // The SDK may answer schema failures with a JSON-RPC invalid-params error: clean, but not a tool result.
    expect((err as { code?: number }).code).toBe(-32602);
    return (err as Error).message;
  }
  expect(result.isError).toBe(true);
  return textOf(result);
}

async function noneIssued(harness: McpHarness): Promise<void> {
  expect(await harness.deps.ca.list()).toEqual([]);
}

describe('tlsmcp_cert_issue arguments', () => {
  it.each([
    ['a newline', 'web\nCN=admin'],
    ['a line separator U+2028', 'web\u2028admin'],
    ['a NUL', 'web\u0000admin'],
    ['a bidi override U+202E', 'web\u202Eadmin'],
  ])('a cn with %s is refused before anything is issued', async (_what, cn) => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', cn })).toMatch(/control characters|U\+/);
    await noneIssued(h);
  });

  it('an o or ou with control characters is refused', async () => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', o: 'acme\r\n' })).toMatch(/control characters/);
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', ou: '\u001b[2J' })).toMatch(/control characters/);
    await noneIssued(h);
  });

  it('a service with path traversal is refused (not a service name)', async () => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: '../../../etc/passwd' })).toMatch(/letters, digits/);
    await noneIssued(h);
  });

  it('a 1 MB cn, 10,000 DNS names and a 1 MB csr are refused cleanly', async () => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', cn: 'a'.repeat(1024 * 1024) })).toMatch(/64|too_big|Too big/i);
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', dns: Array.from({ length: 10_000 }, (_, i) => `h${i}.example`) })).toMatch(/100|too_big|Too big/i);
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', csr: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(1024 * 1024)}\n-----END CERTIFICATE REQUEST-----` })).toMatch(/65536|too_big|Too big/i);
    await noneIssued(h);
  });

  it('a garbage csr is ERR_CSR_INVALID', async () => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_issue', { service: 'api', csr: '-----BEGIN CERTIFICATE REQUEST-----\nnonsense\n-----END CERTIFICATE REQUEST-----' })).toMatch(/ERR_CSR_INVALID/);
    await noneIssued(h);
  });

  it('wrong types (numbers, objects, arrays for strings) are refused cleanly', async () => {
    h = await createMcpHarness();
    for (const args of [{ service: 42 }, { service: 'api', cn: { $ne: '' } }, { service: ['api'] }, { service: 'api', ttl: 5 }, { service: 'api', type: 'root-ca' }]) {
      await refusal(h, 'tlsmcp_cert_issue', args);
    }
    await noneIssued(h);
  });
});

describe('tlsmcp_cert_revoke / tlsmcp_cert_status arguments', () => {
  it('a traversal path as id: ERR_CERT_NOT_FOUND, nothing revoked', async () => {
    h = await createMcpHarness();
    const kept = await h.pki.client('kept');
    expect(await refusal(h, 'tlsmcp_cert_revoke', { id: '../../../../etc/passwd' })).toMatch(/ERR_CERT_NOT_FOUND/);
    expect(await h.deps.ca.revocations()).toEqual([]);
    expect((await h.deps.ca.get(kept.record.id)).status).toBe('valid');
  });

  it('control characters and a huge id are refused cleanly', async () => {
    h = await createMcpHarness();
    expect(await refusal(h, 'tlsmcp_cert_status', { id: 'abc\u0000\n' })).toMatch(/ERR_CERT_NOT_FOUND|not found/i);
    await refusal(h, 'tlsmcp_cert_revoke', { id: 'f'.repeat(100_000) });
    expect(await h.deps.ca.revocations()).toEqual([]);
  });
});

describe('tlsmcp_scan targets (issue 9.4)', () => {
  it.each([
    ['169.254.169.254:80', /built-in link-local 169\.254\.0\.0\/16/],
    ['169.254.169.254', /built-in link-local/],
    ['[fe80::1]:443', /built-in link-local fe80::\/10/],
    ['0.0.0.0:443', /built-in unspecified 0\.0\.0\.0\/8/],
    ['[::]:443', /built-in unspecified ::/],
    ['metadata.google.internal:80', /built-in cloud metadata names/],
    ['2852039166:80', /it resolves to 169\.254\.169\.254, which is refused by default/],
    ['0:443', /it resolves to 0\.0\.0\.0, which is refused by default/],
  ])('with the default config, %s is refused with ERR_SCAN_TARGET_REFUSED naming the rule', async (target, rule) => {
    h = await createMcpHarness();
    const text = await refusal(h, 'tlsmcp_scan', { target, probe_timeout: '1s', deadline: '2s' });
    expect(text).toMatch(/ERR_SCAN_TARGET_REFUSED/);
    expect(text).toMatch(rule);
  });

  it.each([
    ['0.0.0.0:443', /scan\.deny\[0\] 127\.0\.0\.0\/8: 0\.0\.0\.0 \(reaching 127\.0\.0\.1\)/],
    ['[::]:443', /scan\.deny\[1\] ::1/],
    ['0:443', /scan\.deny\[0\]/],
    ['localhost:443', /scan\.deny\[\d\]/],
    ['127.1:443', /it resolves to 127\.0\.0\.1, which is inside it/],
    ['0x7f000001:443', /scan\.deny\[0\]/],
    ['[::ffff:127.0.0.1]:443', /scan\.deny\[0\]/],
  ])('with scan.deny covering loopback (and scan.allow lifting the built-ins), %s is still refused by the deny rule', async (target, rule) => {
    h = await createMcpHarness({ config: { scan: { allow: ['0.0.0.0/0', '::/0'], deny: ['127.0.0.0/8', '::1'] } } });
    const text = await refusal(h, 'tlsmcp_scan', { target, probe_timeout: '1s', deadline: '2s' });
    expect(text).toMatch(/ERR_SCAN_TARGET_REFUSED/);
    expect(text).toMatch(rule);
  });

  it('a huge target and a target with control characters are refused cleanly', async () => {
    h = await createMcpHarness();
    await refusal(h, 'tlsmcp_scan', { target: 'a'.repeat(100_000) });
    expect(await refusal(h, 'tlsmcp_scan', { target: 'example.com\r\nHost: evil:443' })).toMatch(/ERR_ARGUMENT_INVALID|target/);
  });
});
