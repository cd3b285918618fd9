/**
 * `tlsmcp_scan`: TLS posture scan of a host:port (the scanner lives in
 * src/scan). Targets are limited by scan.allow/scan.deny. To scan a server
 * that requires a client certificate, name one the local CA issued: its key
 * is read on this host and never leaves it.
 */
import { readFileSync } from 'node:fs';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { TlsmcpError } from '../src/errors.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { registerGuardedTool, type ToolExtra } from '../src/mcp/tool-kit.js';
import { scanReportSchema, scanTarget } from '../src/scan/index.js';
import type { ScanProgressListener } from '../src/scan/progress.js';
import { parseScanTarget } from '../src/scan/target.js';
import { DURATION_HINT, parseDuration } from '../src/util/duration.js';

const inputSchema = {
  target: z
    .string()
    .min(1)
    .max(2048)
    .describe('HOST[:PORT], [IPv6]:PORT or https://HOST[:PORT]/PATH to scan, e.g. api.example.com:443, [::1]:8443 or https://app.example.com/app (the URL path is where HSTS is checked; port defaults to 443)'),
  sni: z.string().min(1).max(253).optional().describe('server name to send and check the certificate against (default: the host)'),
  trust_local_ca: z.boolean().default(true).describe("also trust tlsmcp's local CA when judging the chain (its certificates may also complete an incomplete chain)"),
  fetch_aia: z.boolean().default(true).describe("fetch a missing intermediate from the certificate's AIA caIssuers URL (same target policy as the scan)"),
  client_cert_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('id of a certificate issued by the local CA to present, for servers that require one (its key stays on the tlsmcp host)'),
  probe_timeout: z.string().max(32).optional().describe('timeout per probe, e.g. "3s" (default: scan.probe_timeout)'),
  deadline: z.string().max(32).optional().describe('deadline for the whole scan, e.g. "30s" (default: scan.deadline)'),
};

/** `notifications/progress` per probe group, when the caller sent a progress token. */
function progressNotifier(extra: ToolExtra): ScanProgressListener | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  return (p) => {
    void extra
      .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: p.step, total: p.total, message: `${p.group}: ${p.detail}` } })
      .catch(() => undefined);
  };
}

function durationArg(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${name}: "${text}" is not a duration`, { fix: DURATION_HINT });
  return ms;
}

async function clientMaterial(deps: McpServerDeps, id: string | undefined): Promise<{ clientCertPem?: string; clientKeyPem?: string }> {
  if (!id) return {};
  const record = await deps.ca.get(id);
  if (!record.files.key) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `client_cert_id: certificate ${record.id} was issued from a CSR, so its key is not on this host`, {
      fix: 'name a certificate tlsmcp generated the key for (tlsmcp_cert_issue without csr)',
    });
  }
  return { clientCertPem: await deps.ca.certPem(record.id), clientKeyPem: readFileSync(record.files.key, 'utf8') };
}

export function registerScanTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_scan',
      title: 'Scan TLS posture',
      description:
        'Scan a TLS endpoint: protocols offered, cipher suites, the certificate chain (trust, hostname, expiry, key, signature), whether a client ' +
        'certificate is requested or required, OCSP stapling, ALPN, HSTS; findings each with severity, evidence and a fix; and an SSL Labs 2009r-style grade. ' +
        'A chain sent without its intermediate is completed (local CA, AIA caIssuers) and graded with the B cap, or T when the issuer cannot be obtained. ' +
        'Bounded by per-probe timeouts and a deadline; sends notifications/progress per probe group when the request carries a progress token. Only targets allowed by scan.allow/scan.deny.',
      inputSchema,
      outputSchema: scanReportSchema.shape,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async (args, ctx) => {
      const { host, port, path } = parseScanTarget(args.target, 'target');
      const material = await clientMaterial(deps, args.client_cert_id);
      ctx.audit.detail = { target: path ? args.target : `${host}:${port}` };
      const report = await scanTarget(
        {
          host,
          port,
          path,
          sni: args.sni,
          fetchAia: args.fetch_aia,
          caPem: args.trust_local_ca && deps.ca.exists() ? deps.ca.caCertPem() : undefined,
          ...material,
          probeTimeoutMs: durationArg(args.probe_timeout, 'probe_timeout') ?? deps.config.scan.probe_timeout,
          deadlineMs: durationArg(args.deadline, 'deadline') ?? deps.config.scan.deadline,
          policy: { allow: deps.config.scan.allow, deny: deps.config.scan.deny },
        },
        { logger: deps.logger, onProgress: progressNotifier(ctx.extra) },
      );
      const grade = report.grade?.grade ?? 'none';
      const worst = report.findings[0];
      return {
        summary: report.error
          ? `Scan of ${host}:${port} stopped: ${report.error}.`
          : `Grade ${grade} for ${host}:${port}; ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}${worst ? `, most severe: ${worst.severity} ${worst.title}` : ''}.`,
        structured: report,
      };
    },
  );
}
