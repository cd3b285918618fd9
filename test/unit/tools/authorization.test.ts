/**
 * Authorization as remote callers meet it: identities derived from real issued
 * certificates, carried as auth info through the SDK Client, checked against
 * mcp.authorization rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMOUS_CALLER } from '../../../src/mcp/identity.js';
import { createMcpHarness, identityOf, textOf, type McpHarness } from '../../helpers/mcp-harness.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

const RULES = {
  mcp: {
    authorization: [
      { identity: { cn: 'admin' }, allow_tools: ['tlsmcp_cert_*', 'tlsmcp_proxy_reload'] },
      { identity: { cn_pattern: 'ops-.*', ou: 'sre' }, allow_tools: ['tlsmcp_cert_revoke'] },
      { identity: { cn: 'auditor' }, deny_tools: ['tlsmcp_cert_list'], deny_resources: ['tlsmcp://audit/*'] },
    ],
  },
};

describe('MCP authorization', () => {
  let h: McpHarness | undefined;
  let ids: TestPki;
  afterEach(async () => {
    await h?.close();
    ids?.cleanup();
  });

  const harnessFor = async (cn: string, extra: { ou?: string } = {}) => {
    ids = await createTestPki();
    const cert = await ids.client(cn, extra);
    h = await createMcpHarness({ config: RULES, identity: identityOf(cert) });
    return h;
  };

  it('lets a read-only identity call read-only tools but not revoke, naming identity and permission', async () => {
    const reader = await harnessFor('reader');
    expect((await reader.call('tlsmcp_cert_list')).isError).toBeFalsy();
    const target = await reader.pki.ca.issue({ type: 'client', service: 'api', cn: 'victim' });
    const refused = await reader.call('tlsmcp_cert_revoke', { id: target.record.id });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^ERR_FORBIDDEN: CN=reader \(serial [0-9a-f]+\) lacks permission to call tlsmcp_cert_revoke: it changes state/);
    expect(textOf(refused)).toMatch(/fix: add an mcp\.authorization rule with identity \{ cn: "reader" \} and allow_tools: \["tlsmcp_cert_revoke"\]/);
    expect((await reader.deps.ca.get(target.record.id)).status).toBe('valid');
    const denied = (await reader.deps.auditLog.read({ kind: 'tool_call' })).find((e) => e.result === 'denied');
    expect(denied).toMatchObject({ tool: 'tlsmcp_cert_revoke', peer_cn: 'reader', caller_kind: 'certificate' });
    expect((await reader.call('tlsmcp_cert_issue', { service: 'api' })).isError).toBe(true);
  });

  it('lets an allowed identity change state, by CN glob and by CN pattern plus OU', async () => {
    const admin = await harnessFor('admin');
    const issued = await admin.call('tlsmcp_cert_issue', { service: 'api', cn: 'new' });
    expect(issued.isError).toBeFalsy();
    expect((await admin.call('tlsmcp_cert_revoke', { id: (issued.structuredContent as { id: string }).id })).isError).toBeFalsy();
    await admin.close();
    ids.cleanup();

    const ops = await harnessFor('ops-7', { ou: 'sre' });
    const target = await ops.pki.ca.issue({ type: 'client', service: 'api', cn: 'victim' });
    expect((await ops.call('tlsmcp_cert_revoke', { id: target.record.id })).isError).toBeFalsy();
    expect((await ops.call('tlsmcp_cert_issue', { service: 'api' })).isError).toBe(true);
  });

  it('does not match a CN pattern on part of the CN, or without the required OU', async () => {
    const wrongOu = await harnessFor('ops-7', { ou: 'dev' });
    const target = await wrongOu.pki.ca.issue({ type: 'client', service: 'api', cn: 'victim' });
    expect((await wrongOu.call('tlsmcp_cert_revoke', { id: target.record.id })).isError).toBe(true);
    await wrongOu.close();
    ids.cleanup();
    const partial = await harnessFor('xops-7', { ou: 'sre' });
    const t2 = await partial.pki.ca.issue({ type: 'client', service: 'api', cn: 'victim' });
    expect((await partial.call('tlsmcp_cert_revoke', { id: t2.record.id })).isError).toBe(true);
  });

  it('applies deny_tools and deny_resources of a matching rule, even to read-only ones', async () => {
    const auditor = await harnessFor('auditor');
    const list = await auditor.call('tlsmcp_cert_list');
    expect(list.isError).toBe(true);
    expect(textOf(list)).toMatch(/CN=auditor .* lacks permission to call tlsmcp_cert_list: mcp\.authorization\[2\]\.deny_tools refuses it/);
    await auditor.pki.ca.issue({ type: 'client', service: 'api', cn: 'x' });
    await expect(auditor.read('tlsmcp://audit/api')).rejects.toThrow(/lacks permission to read tlsmcp:\/\/audit\/api/);
    await expect(auditor.read('tlsmcp://certs/api')).resolves.toMatchObject({ service: 'api' });
  });

  it('gives an anonymous caller read-only access only', async () => {
    h = await createMcpHarness({ config: RULES, identity: ANONYMOUS_CALLER });
    expect((await h.call('tlsmcp_cert_list')).isError).toBeFalsy();
    const refused = await h.call('tlsmcp_cert_issue', { service: 'api' });
    expect(textOf(refused)).toMatch(/an anonymous caller \(no client certificate\) lacks permission to call tlsmcp_cert_issue/);
  });

  it('trusts the local (stdio) caller', async () => {
    h = await createMcpHarness({ config: RULES });
    expect((await h.call('tlsmcp_cert_issue', { service: 'api' })).isError).toBeFalsy();
  });
});
