/**
 * `tlsmcp_cert_revoke`: revoke a certificate by id or serial with a reason.
 * When the proxy supervisor runs in this process it is told at once, so live
 * proxy connections using the certificate are cut; remote MCP sessions
 * presenting it are cut too. The result says how many of each. The CA
 * itself records the revocation in the audit log; the tool call's own audit
 * event carries the counts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { certTypeSchema, revocationReasonSchema } from '../src/ca/types.js';
import { TlsmcpError, toTlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

const inputSchema = {
  id: z.string().min(1).max(200).optional().describe('certificate id from tlsmcp_cert_list or tlsmcp_cert_issue (a serial or SHA-256 fingerprint also works)'),
  serial: z.string().min(1).max(200).optional().describe('serial number in hex, with or without colons'),
  reason: revocationReasonSchema.default('unspecified').describe('why: keyCompromise, superseded, cessationOfOperation or unspecified'),
};

const outputSchema = {
  id: z.string(),
  serial: z.string(),
  service: z.string(),
  cn: z.string(),
  type: certTypeSchema,
  reason: revocationReasonSchema,
  revoked_at: z.string(),
  /** It was revoked before this call; nothing changed. */
  already_revoked: z.boolean(),
  /** A proxy supervisor runs in this process and was told. */
  supervisor_running: z.boolean(),
  /** Live proxy connections cut, across all workers. */
  connections_closed: z.number(),
  /** Remote MCP sessions presenting this certificate that were cut. */
  mcp_sessions_closed: z.number(),
  /** Set when the CA revoked it but the running proxy could not be told. */
  proxy_error: z.string().nullable(),
};

export function registerCertRevokeTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_cert_revoke',
      title: 'Revoke a certificate',
      description:
        'Revoke a certificate by id or serial, with a reason. New handshakes with it are refused and live proxy connections and MCP sessions ' +
        'using it are cut; the result says how many. Revocation cannot be undone: issue a new certificate to replace it.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      if (args.id && args.serial) {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', 'give id or serial, not both', { fix: 'pass only one of id, serial' });
      }
      const ref = args.id ?? args.serial;
      if (!ref) {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', 'id or serial is required', { fix: 'pass the id from tlsmcp_cert_list, or the serial' });
      }
      const before = await deps.ca.get(ref);
      ctx.audit.service = before.service;
      ctx.audit.cert_serial = before.serial;
      // The running proxy and MCP sessions first, then the CA: both also watch revocations.json and
      // would otherwise cut the connections themselves, leaving this call unable to say how many.
      // Failing closed: if the CA write then failed, this process would refuse the serial anyway.
      let connectionsClosed = 0;
      let proxyError: string | null = null;
      if (deps.supervisor) {
        try {
          const results = await deps.supervisor.revoke([before.serial]);
          connectionsClosed = results.reduce((n, r) => n + r.connections_closed, 0);
        } catch (err) {
          proxyError = toTlsmcpError(err).message;
        }
      }
      const sessionsClosed = deps.sessions ? await deps.sessions.cutSerials([before.serial]) : 0;
      const after = await deps.ca.revoke(before.id, args.reason);
      const alreadyRevoked = before.status === 'revoked';
      const reason = after.revoked?.reason ?? args.reason;
      const revokedAt = after.revoked?.at ?? deps.clock().toISOString();
      ctx.audit.detail = { id: after.id, cn: after.cn, reason, connections_closed: connectionsClosed, mcp_sessions_closed: sessionsClosed };
      const cut = deps.supervisor
        ? `${connectionsClosed} live proxy connection${connectionsClosed === 1 ? '' : 's'} cut`
        : 'no proxy supervisor runs in this process (a separate `tlsmcp run` picks the revocation up from the state dir)';
      return {
        summary: alreadyRevoked
          ? `Certificate ${after.id} (CN=${after.cn}) was already revoked on ${revokedAt}.`
          : `Revoked certificate ${after.id} (CN=${after.cn}, serial ${after.serial}, reason ${reason}); ${cut}; ${sessionsClosed} MCP session${sessionsClosed === 1 ? '' : 's'} cut.`,
        structured: {
          id: after.id,
          serial: after.serial,
          service: after.service,
          cn: after.cn,
          type: after.type,
          reason,
          revoked_at: revokedAt,
          already_revoked: alreadyRevoked,
          supervisor_running: Boolean(deps.supervisor),
          connections_closed: connectionsClosed,
          mcp_sessions_closed: sessionsClosed,
          proxy_error: proxyError,
        },
      };
    },
  );
}
