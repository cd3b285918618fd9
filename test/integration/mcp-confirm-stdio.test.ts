/**
 * Confirmation before a destructive call through the real `tlsmcp-mcp` bin
 * over stdio, where `mcp.confirm_destructive` is on by default: a client that
 * supports elicitation is asked before tlsmcp_cert_revoke; declining revokes
 * nothing and is audited, accepting revokes; a client without elicitation
 * revokes as before.
 */
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStdioFixture, type StdioFixture } from '../helpers/mcp-stdio.js';
import { openStdioSession, type StdioSession } from '../helpers/mcp-stdio-session.js';

interface AuditView {
  events: { kind: string; tool?: string; result?: string; cert_serial?: string; serial?: string; detail?: Record<string, unknown> }[];
}

describe('tlsmcp-mcp confirms destructive calls over stdio', () => {
  let fx: StdioFixture;
  let session: StdioSession | undefined;
  beforeEach(() => {
    fx = createStdioFixture({ version: 1, admin: { enabled: false } });
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    fx.cleanup();
  });

  async function issue(cn: string): Promise<{ id: string; serial: string }> {
    return (await session!.call('tlsmcp_cert_issue', { service: 'api', cn })).structuredContent as { id: string; serial: string };
  }
  async function statusOf(id: string): Promise<string> {
    return ((await session!.call('tlsmcp_cert_status', { id })).structuredContent as { certs: { status: string }[] }).certs[0]!.status;
  }

  it('declined: nothing revoked and a declined tool call in the audit trail; accepted: revoked', async () => {
    const answers: ElicitResult[] = [{ action: 'decline' }, { action: 'accept', content: { confirm: true } }];
    const asked: ElicitRequest['params'][] = [];
    session = await openStdioSession(fx, { elicitation: {} }, (client) =>
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params);
        return answers.shift() ?? { action: 'cancel' };
      }),
    );

    const kept = await issue('agent-1');
    const declined = await session.call('tlsmcp_cert_revoke', { id: kept.id, reason: 'keyCompromise' });
    expect(declined.isError).toBe(true);
    expect(declined.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^ERR_NOT_CONFIRMED: the user declined/) });
    expect(asked[0]!.message).toContain(`Revoke certificate ${kept.id}`);
    expect(await statusOf(kept.id)).toBe('valid');

    const audit = await session.read<AuditView>('tlsmcp://audit/api');
    expect(audit.events.some((e) => e.kind === 'revocation')).toBe(false);
    expect(audit.events.find((e) => e.kind === 'tool_call' && e.tool === 'tlsmcp_cert_revoke')).toMatchObject({
      result: 'declined',
      cert_serial: kept.serial,
      detail: { confirmation: 'decline' },
    });

    const accepted = await session.call('tlsmcp_cert_revoke', { id: kept.id, reason: 'keyCompromise' });
    expect(accepted.isError).toBeFalsy();
    expect(accepted.structuredContent).toMatchObject({ confirmation: 'confirmed', already_revoked: false });
    expect(asked).toHaveLength(2);
    expect(await statusOf(kept.id)).toBe('revoked');
  });

  it('a client without elicitation is not asked and revokes as before', async () => {
    session = await openStdioSession(fx);
    const cert = await issue('agent-2');
    const result = await session.call('tlsmcp_cert_revoke', { id: cert.id });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ confirmation: 'not_asked' });
    expect(await statusOf(cert.id)).toBe('revoked');
  });
});
