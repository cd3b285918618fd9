/**
 * The one wrapper every tool goes through: it resolves the caller, checks
 * `mcp.authorization`, runs the handler, turns expected failures (TlsmcpError)
 * into `isError` results an agent can act on, and appends one audit event per
 * call (identity, tool, outcome, latency). Tool files stay about their tool.
 */
import type { McpServer, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { RequestId, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { TlsmcpError, toTlsmcpError } from '../errors.js';
import { authorizeTool } from './authorization.js';
import type { McpServerDeps } from './deps.js';
import { describeIdentity, identityFromAuthInfo, type CallerIdentity } from './identity.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolCallContext {
  identity: CallerIdentity;
  /** Filled in by the handler once it knows what the call concerns, for the audit trail. */
  audit: { service?: string; cert_serial?: string; detail?: Record<string, unknown> };
  signal: AbortSignal;
  /** The tools/call request, so a request the tool sends the client (a confirmation) travels with it. */
  requestId: RequestId;
  /** The SDK's request extra: `_meta.progressToken` and `sendNotification`, for tools that report progress. */
  extra: ToolExtra;
}

export interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
}

export interface ToolOutput<T> {
  structured: T;
  /** One or two sentences for clients that only show text. */
  summary: string;
}

type Out<O extends z.ZodRawShape> = z.infer<z.ZodObject<O>>;
type In<I extends z.ZodRawShape> = z.infer<z.ZodObject<I>>;

/** The `isError` result for an expected failure: code, message, fix. */
export function errorResult(err: TlsmcpError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${err.code}: ${err.describe()}` }] };
}

export function registerGuardedTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  server: McpServer,
  deps: McpServerDeps,
  spec: ToolSpec<I, O>,
  handler: (args: In<I>, ctx: ToolCallContext) => Promise<ToolOutput<Out<O>>>,
): void {
  const callback = async (args: In<I>, extra: ToolExtra): Promise<CallToolResult> => {
    const started = process.hrtime.bigint();
    const identity = identityFromAuthInfo(extra.authInfo);
    const ctx: ToolCallContext = { identity, audit: {}, signal: extra.signal, requestId: extra.requestId, extra };
    const argService = typeof (args as { service?: unknown }).service === 'string' ? (args as { service: string }).service : undefined;
    const finish = (result: 'ok' | 'error' | 'denied' | 'declined', reason?: string) => {
      const service = ctx.audit.service ?? argService ?? 'mcp';
      const logArguments = deps.config.services.find((s) => s.name === service)?.audit.arguments ?? false;
      deps.auditLog.append({
        time: deps.clock().toISOString(),
        kind: 'tool_call',
        service,
        tool: spec.name,
        caller: describeIdentity(identity),
        caller_kind: identity.kind,
        ...(identity.cn ? { peer_cn: identity.cn } : {}),
        ...(identity.serial ? { serial: identity.serial } : {}),
        ...(identity.fingerprint ? { fingerprint: identity.fingerprint } : {}),
        ...(ctx.audit.cert_serial ? { cert_serial: ctx.audit.cert_serial } : {}),
        result,
        ...(reason ? { reason } : {}),
        latency_ms: Number(process.hrtime.bigint() - started) / 1e6,
        ...(ctx.audit.detail ? { detail: ctx.audit.detail } : {}),
        ...(logArguments ? { arguments: args } : {}),
      });
    };

    const decision = authorizeTool(deps.config.mcp.authorization, identity, spec.name);
    if (!decision.allowed) {
      finish('denied', decision.reason);
      deps.logger.warn({ event: 'mcp_tool_denied', tool: spec.name, caller: describeIdentity(identity) }, decision.reason);
      return errorResult(new TlsmcpError('ERR_FORBIDDEN', decision.reason, { fix: decision.fix }));
    }
    try {
      const out = await handler(args, ctx);
      finish('ok');
      return {
        content: [{ type: 'text', text: `${out.summary}\n${JSON.stringify(out.structured, null, 2)}` }],
        structuredContent: out.structured as Record<string, unknown>,
      };
    } catch (err) {
      const e = toTlsmcpError(err);
      // A destructive call the user declined is its own outcome in the audit trail.
      finish(e.code === 'ERR_NOT_CONFIRMED' ? 'declined' : 'error', `${e.code}: ${e.message}`);
      if (e.code === 'ERR_INTERNAL') deps.logger.error({ event: 'mcp_tool_failed', tool: spec.name, err }, 'tool failed unexpectedly');
      else deps.logger.info({ event: 'mcp_tool_error', tool: spec.name, code: e.code }, e.message);
      return errorResult(e);
    }
  };
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.inputSchema,
      outputSchema: spec.outputSchema,
      annotations: { title: spec.title, ...spec.annotations },
    },
    callback as unknown as ToolCallback<I>,
  );
}
