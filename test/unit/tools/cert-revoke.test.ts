import { afterEach, describe, expect, it } from 'vitest';
import { createRevocationFeed } from '../../../src/core/revocation.js';
import { createFakeSupervisor, serviceStatus } from '../../helpers/mcp-fake-supervisor.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpHarness, identityOf, textOf, type McpHarness, type McpHarnessOptions } from '../../helpers/mcp-harness.js';

describe('tlsmcp_cert_revoke', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('revokes by id, tells the in-process supervisor and reports the connections it cut', async () => {
    const supervisor = createFakeSupervisor([serviceStatus('api'), serviceStatus('db')], { connectionsPerRevoke: 1 });
    h = await createMcpHarness({ supervisor });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const result = await h.call('tlsmcp_cert_revoke', { id: issued.record.id, reason: 'keyCompromise' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      id: issued.record.id,
      serial: issued.record.serial,
      service: 'api',
      reason: 'keyCompromise',
      already_revoked: false,
      supervisor_running: true,
      connections_closed: 2,
      mcp_sessions_closed: 0,
      proxy_error: null,
    });
    expect(supervisor.revoked).toEqual([[issued.record.serial]]);
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('revoked');
  });

  // Changed on purpose (issue 10): the tool no longer pushes before the CA writes to win a race with the
  // file watcher; the CA writes, then the one revocation feed cuts, and hands the counts to whoever asks.
  it('reports the cut counts through the revocation feed even when the file watcher applied the serial first', async () => {
    const feed = createRevocationFeed();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    feed.subscribe(async () => {
      await gate;
      return { connections: 2, mcp_sessions: 1 };
    });
    h = await createMcpHarness({ revocations: feed });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const watcherFirst = feed.add([issued.record.serial]); // what the file watcher does
    const call = h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    release();
    await watcherFirst;
    const result = await call;
    expect(result.structuredContent).toMatchObject({ connections_closed: 2, mcp_sessions_closed: 1 });
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('revoked');
  });

  it('revokes by serial (with colons) without a supervisor and says so', async () => {
    h = await createMcpHarness();
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const colons = issued.record.serial.match(/../g)!.join(':').toUpperCase();
    const result = await h.call('tlsmcp_cert_revoke', { serial: colons });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ serial: issued.record.serial, supervisor_running: false, connections_closed: 0, reason: 'unspecified' });
    expect(textOf(result)).toMatch(/no proxy supervisor runs in this process/);
  });

  it('is idempotent: a second revoke reports already_revoked', async () => {
    h = await createMcpHarness();
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    await h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    const again = await h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    expect(again.isError).toBeFalsy();
    expect(again.structuredContent).toMatchObject({ already_revoked: true });
  });

  it('returns isError for an unknown id, and for neither or both of id and serial', async () => {
    h = await createMcpHarness();
    const unknown = await h.call('tlsmcp_cert_revoke', { id: 'nope' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/ERR_CERT_NOT_FOUND: no certificate with id or serial "nope"\n {2}fix: /);
    expect(textOf(await h.call('tlsmcp_cert_revoke', {}))).toMatch(/ERR_ARGUMENT_INVALID: id or serial is required/);
    expect(textOf(await h.call('tlsmcp_cert_revoke', { id: 'a', serial: 'b' }))).toMatch(/ERR_ARGUMENT_INVALID: give id or serial, not both/);
  });

  it('leaves a revocation and a tool call in the service audit trail', async () => {
    h = await createMcpHarness();
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    await h.call('tlsmcp_cert_revoke', { id: issued.record.id, reason: 'superseded' });
    const events = await h.deps.auditLog.read({ service: 'api' });
    expect(events.find((e) => e.kind === 'revocation')).toMatchObject({ serial: issued.record.serial, reason: 'superseded' });
    expect(events.find((e) => e.kind === 'tool_call')).toMatchObject({ tool: 'tlsmcp_cert_revoke', result: 'ok', cert_serial: issued.record.serial });
  });

  it('is marked destructive and idempotent', async () => {
    h = await createMcpHarness();
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === 'tlsmcp_cert_revoke')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
  });
});

describe('tlsmcp_cert_revoke asks for confirmation through elicitation', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  /** A harness whose client supports elicitation and answers every request with `answer`; the requests it got are kept. */
  async function withElicitation(answer: ElicitResult, options: McpHarnessOptions = {}) {
    h = await createMcpHarness({ ...options, clientCapabilities: { elicitation: {} } });
    const asked: ElicitRequest['params'][] = [];
    h.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return answer;
    });
    return asked;
  }

  it('revokes when the user accepts and checks the box, naming the certificate in the question', async () => {
    const asked = await withElicitation({ action: 'accept', content: { confirm: true } });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const result = await h.call('tlsmcp_cert_revoke', { id: issued.record.id, reason: 'keyCompromise' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ confirmation: 'confirmed', already_revoked: false });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain(`Revoke certificate ${issued.record.id} (CN=agent-1, service api, serial ${issued.record.serial}) with reason keyCompromise?`);
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('revoked');
    const call = (await h.deps.auditLog.read({ service: 'api', kind: 'tool_call' }))[0];
    expect(call).toMatchObject({ result: 'ok', detail: expect.objectContaining({ confirmation: 'accepted' }) });
  });

  it('revokes nothing when the user declines, and audits the declined call', async () => {
    await withElicitation({ action: 'decline' });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const result = await h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^ERR_NOT_CONFIRMED: the user declined the confirmation; nothing was changed\n {2}fix: /);
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('valid');
    expect(await h.deps.ca.revocations()).toEqual([]);
    const events = await h.deps.auditLog.read({ service: 'api' });
    expect(events.some((e) => e.kind === 'revocation')).toBe(false);
    expect(events.find((e) => e.kind === 'tool_call')).toMatchObject({
      tool: 'tlsmcp_cert_revoke',
      result: 'declined',
      cert_serial: issued.record.serial,
      reason: expect.stringMatching(/^ERR_NOT_CONFIRMED: /),
      detail: { confirmation: 'decline' },
    });
  });

  it('revokes nothing when the user cancels or accepts without checking the box', async () => {
    await withElicitation({ action: 'accept', content: { confirm: false } });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    expect(textOf(await h.call('tlsmcp_cert_revoke', { id: issued.record.id }))).toMatch(/ERR_NOT_CONFIRMED: the user accepted without checking the box/);
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('valid');
    await h.close();
    await withElicitation({ action: 'cancel' });
    const other = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-2' });
    expect(textOf(await h.call('tlsmcp_cert_revoke', { id: other.record.id }))).toMatch(/ERR_NOT_CONFIRMED: the user cancelled the confirmation/);
    expect((await h.deps.ca.get(other.record.id)).status).toBe('valid');
  });

  it('keeps today\'s behaviour for a client without elicitation: revoked, not asked', async () => {
    h = await createMcpHarness();
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    const result = await h.call('tlsmcp_cert_revoke', { id: issued.record.id });
    expect(result.structuredContent).toMatchObject({ confirmation: 'not_asked', already_revoked: false });
    expect((await h.deps.ca.get(issued.record.id)).status).toBe('revoked');
  });

  it('does not ask when mcp.confirm_destructive is false, nor for a certificate already revoked', async () => {
    const asked = await withElicitation({ action: 'decline' }, { config: { mcp: { confirm_destructive: false } } });
    const issued = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    expect((await h.call('tlsmcp_cert_revoke', { id: issued.record.id })).structuredContent).toMatchObject({ confirmation: 'not_asked' });
    expect(asked).toEqual([]);
    await h.close();
    const asked2 = await withElicitation({ action: 'decline' });
    const revoked = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-2' });
    await h.pki.ca.revoke(revoked.record.id);
    expect((await h.call('tlsmcp_cert_revoke', { id: revoked.record.id })).structuredContent).toMatchObject({ already_revoked: true, confirmation: 'not_asked' });
    expect(asked2).toEqual([]);
  });

  it('asks a remote caller only when mcp.confirm_destructive is true (unset: on for stdio only)', async () => {
    const setup = await createMcpHarness();
    const admin = await setup.pki.ca.issue({ type: 'client', service: 'ops', cn: 'admin' });
    await setup.close();
    const authorization = [{ identity: { cn: 'admin' }, allow_tools: ['tlsmcp_cert_revoke'] }];
    const asked = await withElicitation({ action: 'decline' }, { config: { mcp: { authorization } }, identity: identityOf(admin) });
    const a = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-1' });
    expect((await h.call('tlsmcp_cert_revoke', { id: a.record.id })).structuredContent).toMatchObject({ confirmation: 'not_asked' });
    expect(asked).toEqual([]);
    await h.close();
    await withElicitation({ action: 'decline' }, { config: { mcp: { authorization, confirm_destructive: true } }, identity: identityOf(admin) });
    const b = await h.pki.ca.issue({ type: 'client', service: 'api', cn: 'agent-2' });
    expect(textOf(await h.call('tlsmcp_cert_revoke', { id: b.record.id }))).toMatch(/ERR_NOT_CONFIRMED/);
    expect((await h.deps.ca.get(b.record.id)).status).toBe('valid');
  });
});
