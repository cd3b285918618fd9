/**
 * Asks the person at the client before a destructive tool call, through MCP
 * elicitation (`elicitation/create`). It asks when the client declared the
 * elicitation capability and `mcp.confirm_destructive` is on (unset: on for
 * local callers, i.e. stdio, off for remote ones). Anything but an explicit
 * yes (decline, cancel, an unchecked box, a failed request) refuses the call
 * with ERR_NOT_CONFIRMED, which the tool guard audits as `declined`. A client
 * without elicitation is not asked: the call goes ahead as before.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { TlsmcpError } from '../errors.js';
import type { McpServerDeps } from './deps.js';
import type { ToolCallContext } from './tool-kit.js';

export interface ConfirmRequest {
  /** What will happen, in one or two sentences the user can judge. */
  message: string;
  /** The checkbox label, e.g. "Revoke certificate ab12". */
  action: string;
}

export type ConfirmOutcome = 'confirmed' | 'not_asked';

/** A person needs longer than the SDK's 60 s request default to read and answer. */
export const CONFIRM_TIMEOUT_MS = 10 * 60_000;

/** Whether this call should be confirmed at all, before looking at the client. */
export function confirmationWanted(deps: Pick<McpServerDeps, 'config'>, ctx: Pick<ToolCallContext, 'identity'>): boolean {
  return deps.config.mcp.confirm_destructive ?? ctx.identity.kind === 'local';
}

/** Resolves when the call may go ahead; throws ERR_NOT_CONFIRMED when the user did not say yes. */
export async function confirmDestructive(server: McpServer, deps: Pick<McpServerDeps, 'config'>, ctx: ToolCallContext, request: ConfirmRequest): Promise<ConfirmOutcome> {
  if (!confirmationWanted(deps, ctx)) return 'not_asked';
  if (!server.server.getClientCapabilities()?.elicitation?.form) return 'not_asked';
  let answer: Awaited<ReturnType<typeof server.server.elicitInput>>;
  try {
    answer = await server.server.elicitInput(
      {
        mode: 'form',
        message: request.message,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: request.action, description: 'check to go ahead; this cannot be undone', default: false } },
          required: ['confirm'],
        },
      },
      { signal: ctx.signal, relatedRequestId: ctx.requestId, timeout: CONFIRM_TIMEOUT_MS },
    );
  } catch (err) {
    ctx.audit.detail = { ...ctx.audit.detail, confirmation: 'failed' };
    throw new TlsmcpError('ERR_NOT_CONFIRMED', `the confirmation request failed (${(err as Error).message}); nothing was changed`, {
      fix: 'call the tool again and answer the confirmation, or set mcp.confirm_destructive: false for this server',
      cause: err,
    });
  }
  if (answer.action === 'accept' && answer.content?.confirm === true) {
    ctx.audit.detail = { ...ctx.audit.detail, confirmation: 'accepted' };
    return 'confirmed';
  }
  const how = { accept: 'accepted without checking the box', decline: 'declined', cancel: 'cancelled' }[answer.action];
  ctx.audit.detail = { ...ctx.audit.detail, confirmation: answer.action === 'accept' ? 'unchecked' : answer.action };
  throw new TlsmcpError('ERR_NOT_CONFIRMED', `the user ${how} the confirmation; nothing was changed`, {
    fix: 'ask the user whether to go ahead, then call the tool again',
  });
}
