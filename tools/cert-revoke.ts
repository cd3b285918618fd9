/**
 * `tlsmcp_cert_revoke`: revoke a certificate by id or serial with a reason.
 * The CA records it, then the process's revocation feed (src/core/revocation.ts)
 * cuts live proxy connections and remote MCP sessions using it. The result says how many of each. The CA
 * itself records the revocation in the audit log; the tool call's own audit
 * event carries the counts.
 *
 * On a sidecar that follows a Hub (hub.url) the fleet's certificates are the
 * Hub's: this tool refuses (ERR_FORBIDDEN) rather than revoke in the local CA,
 * which would cut nothing elsewhere. The sidecar holds only its instance
 * credential, which the Hub refuses for revocation; a Hub admin revokes with
 * `tlsmcp cert revoke --hub-cert/--hub-key` or DELETE /api/v1/certs/{id}.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { certTypeSchema, revocationReasonSchema } from '../src/ca/types.js';
import { TlsmcpError, toTlsmcpError } from '../src/errors.js';
import { confirmDestructive } from '../src/mcp/confirm.js';
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
  /** The user confirmed through elicitation, or was not asked (client without elicitation, mcp.confirm_destructive off, already revoked). */
  confirmation: z.enum(['confirmed', 'not_asked']),
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
        'using it are cut; the result says how many. Revocation cannot be undone: issue a new certificate to replace it. ' +
        'A client that supports elicitation is asked to confirm first; a declined confirmation revokes nothing (ERR_NOT_CONFIRMED). ' +
        'On an instance that follows a Hub (hub.url) it refuses with ERR_FORBIDDEN: revocation is the Hub admin\'s (the error says how).',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      if (deps.config.hub_settings) {
        throw new TlsmcpError('ERR_FORBIDDEN', "this instance follows the Hub (hub.url): certificates are revoked fleet-wide by the Hub, with a Hub admin credential this MCP server does not hold", {
          fix: 'revoke as a Hub admin: `tlsmcp cert revoke --id ID --hub-cert ADMIN_CERT --hub-key ADMIN_KEY` on this instance, or DELETE /api/v1/certs/{id} on the Hub',
        });
      }
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
      const confirmation =
        before.status === 'revoked'
          ? 'not_asked'
          : await confirmDestructive(server, deps, ctx, {
              action: `Revoke certificate ${before.id}`,
              message:
                `Revoke certificate ${before.id} (CN=${before.cn}, service ${before.service}, serial ${before.serial}) with reason ${args.reason}? ` +
                'New handshakes with it are refused and live connections using it are cut. This cannot be undone.',
            });
      // The CA records it (revocations.json, the CRL), then the process's one revocation feed cuts live
      // proxy connections and MCP sessions of every listener here. Should the file watcher apply it first,
      // the feed still hands this call the counts of that cut.
      const after = await deps.ca.revoke(before.id, args.reason);
      let connectionsClosed = 0;
      let sessionsClosed = 0;
      let proxyError: string | null = null;
      try {
        if (deps.revocations) {
          const { cut } = await deps.revocations.add([before.serial]);
          connectionsClosed = cut.connections ?? 0;
          sessionsClosed = cut.mcp_sessions ?? 0;
        } else {
          // Embedders without a feed (tests' in-memory servers): tell what runs here directly.
          if (deps.supervisor) connectionsClosed = (await deps.supervisor.revoke([before.serial])).reduce((n, r) => n + r.connections_closed, 0);
          if (deps.sessions) sessionsClosed = await deps.sessions.cutSerials([before.serial]);
        }
      } catch (err) {
        proxyError = toTlsmcpError(err).message;
      }
      const alreadyRevoked = before.status === 'revoked';
      const reason = after.revoked?.reason ?? args.reason;
      const revokedAt = after.revoked?.at ?? deps.clock().toISOString();
      ctx.audit.detail = { ...ctx.audit.detail, id: after.id, cn: after.cn, reason, connections_closed: connectionsClosed, mcp_sessions_closed: sessionsClosed };
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
          confirmation,
        },
      };
    },
  );
}
