/**
 * `tlsmcp_cert_issue`: issue a client or server certificate from the local CA.
 * The private key never travels in the result: with a CSR the requester keeps
 * the key and none exists here; without one the key is written 0600 in the
 * state dir and only its path is returned.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { CSR_MAX_BYTES } from '../src/ca/csr.js';
import { MAX_SANS } from '../src/ca/extensions.js';
import { SUBJECT_MAX_LENGTH, subjectTextInput } from '../src/ca/subject.js';
import { certRecordSchema, certTypeSchema, keyTypeSchema } from '../src/ca/types.js';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { serviceNameInput } from '../src/mcp/schemas.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';
import { DURATION_HINT, parseDuration } from '../src/util/duration.js';

const inputSchema = {
  type: certTypeSchema.default('client').describe('client (presented to a sidecar) or server (a listener certificate)'),
  service: serviceNameInput.describe('the service the certificate belongs to, e.g. "api"'),
  cn: subjectTextInput(SUBJECT_MAX_LENGTH.cn).optional().describe('subject CN; defaults to the CSR subject or the service name'),
  o: subjectTextInput(SUBJECT_MAX_LENGTH.o).optional().describe('subject O (organization), for policies that match on it'),
  ou: subjectTextInput(SUBJECT_MAX_LENGTH.ou).optional().describe('subject OU, for policies that match on it'),
  dns: z.array(z.string().min(1).max(253)).max(MAX_SANS).optional().describe('DNS SANs'),
  ip: z.array(z.string().min(1).max(64)).max(MAX_SANS).optional().describe('IP SANs'),
  uri: z.array(z.string().min(1).max(2048)).max(MAX_SANS).optional().describe('URI SANs, e.g. spiffe://example.org/ns/prod/sa/api'),
  ttl: z.string().max(32).optional().describe('lifetime such as "24h" or "30d"; must lie within the client_cert/server_cert policy'),
  key_type: keyTypeSchema.optional().describe('key to generate when no CSR is given (default ecdsa-p256)'),
  csr: z.string().max(CSR_MAX_BYTES).optional().describe('a PEM PKCS#10 request; the key stays with the requester'),
};

const outputSchema = {
  // The record's public fields, as the CA defines them (never the key).
  ...certRecordSchema.pick({
    id: true,
    serial: true,
    type: true,
    service: true,
    cn: true,
    sans: true,
    not_before: true,
    not_after: true,
    fingerprint_sha256: true,
    key_type: true,
    from_csr: true,
  }).shape,
  cert_pem: z.string(),
  ca_pem: z.string(),
  files: z.object({ cert: z.string(), ca: z.string() }),
  /** Where the generated key was written (0600); null when issued from a CSR. */
  key_path: z.string().nullable(),
  key_note: z.string(),
};

export function registerCertIssueTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_cert_issue',
      title: 'Issue a certificate',
      description:
        'Issue a client or server certificate from the local CA for a service. Give a PEM CSR to keep the private key on your side; ' +
        'without one a key is generated and written 0600 in the tlsmcp state dir, and only its path is returned (never the key). ' +
        'The TTL must lie within the configured policy. Returns the certificate PEM, the CA PEM, the id and serial (use them to revoke).',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, ctx) => {
      ctx.audit.service = args.service;
      let ttlMs: number | undefined;
      if (args.ttl !== undefined) {
        ttlMs = parseDuration(args.ttl);
        if (ttlMs === undefined) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `ttl: "${args.ttl}" is not a duration`, { fix: DURATION_HINT });
        }
      }
      const issued = await deps.ca.issue({
        type: args.type,
        service: args.service,
        cn: args.cn,
        o: args.o,
        ou: args.ou,
        dns: args.dns,
        ip: args.ip,
        uri: args.uri,
        ttlMs,
        keyType: args.key_type,
        csrPem: args.csr,
      });
      const r = issued.record;
      ctx.audit.cert_serial = r.serial;
      ctx.audit.detail = { id: r.id, cn: r.cn, type: r.type, not_after: r.not_after };
      const keyPath = r.files.key ?? null;
      return {
        summary: `Issued ${r.type} certificate ${r.id} (CN=${r.cn}, serial ${r.serial}) for service ${r.service}, valid until ${r.not_after}.`,
        structured: {
          id: r.id,
          serial: r.serial,
          type: r.type,
          service: r.service,
          cn: r.cn,
          sans: r.sans,
          not_before: r.not_before,
          not_after: r.not_after,
          fingerprint_sha256: r.fingerprint_sha256,
          key_type: r.key_type,
          from_csr: r.from_csr,
          cert_pem: issued.certPem,
          ca_pem: issued.caPem,
          files: { cert: r.files.cert, ca: r.files.ca },
          key_path: keyPath,
          key_note: keyPath
            ? `the private key was written with mode 0600 to ${keyPath} on the tlsmcp host; it is never sent over MCP`
            : 'issued from your CSR: the private key stays with you and none exists on the tlsmcp host',
        },
      };
    },
  );
}
