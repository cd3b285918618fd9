/**
 * The Hub's CA as a sidecar's cert commands reach it (`hub.url` set): the
 * REST calls over mTLS with an ADMIN credential, trusting only the Hub CA the
 * state dir pinned at enrollment. The instance certificate is never used here:
 * the Hub answers admin paths (revoke, issue) with 403 for instance identities,
 * and that stays so. Without an admin credential the caller gets
 * ERR_FORBIDDEN with the way to give one.
 *
 * The credential comes from `--hub-cert/--hub-key` or the environment
 * (TLSMCP_HUB_CERT / TLSMCP_HUB_KEY): a certificate from the Hub's CA whose CN
 * is listed under `admins:` in the Hub config (`tlsmcp hub init` writes one in
 * HUB_STATE/admin/).
 */
import { readFileSync } from 'node:fs';
import type { HubSettings } from '../config/schema.js';
import { createMtlsFetch } from '../connect/mtls-fetch.js';
import { ERROR_CODES, TlsmcpError, type ErrorCode } from '../errors.js';
import type { RevocationReason } from '../ca/index.js';
import { sidecarHubPaths } from './sidecar-files.js';
import { revocationSchema, type Revocation } from './types.js';

export interface HubAdminCredentialOptions {
  /** --hub-cert / --hub-key, when given. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  env: NodeJS.ProcessEnv;
}

export interface HubAdminCredential {
  certPem: string;
  keyPem: string;
}

/** The admin credential from the flags or TLSMCP_HUB_CERT/TLSMCP_HUB_KEY; ERR_FORBIDDEN saying how to give one when there is none. */
export function hubAdminCredential(options: HubAdminCredentialOptions): HubAdminCredential {
  const certFile = options.certFile ?? options.env.TLSMCP_HUB_CERT;
  const keyFile = options.keyFile ?? options.env.TLSMCP_HUB_KEY;
  if (!certFile || !keyFile) {
    throw new TlsmcpError('ERR_FORBIDDEN', "this instance follows the Hub (hub.url): certificates are the Hub's to revoke, and that needs a Hub admin credential", {
      fix: 'pass --hub-cert FILE --hub-key FILE (or set TLSMCP_HUB_CERT and TLSMCP_HUB_KEY) with an admin certificate of the Hub, e.g. HUB_STATE/admin/cert.pem and key.pem from `tlsmcp hub init`',
    });
  }
  try {
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--hub-cert/--hub-key: cannot read ${certFile} or ${keyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      fix: 'give readable PEM files of a Hub admin certificate and its key',
      cause: err,
    });
  }
}

export interface HubCaClient {
  /** DELETE /api/v1/certs/{id}: answered once the Hub stored the revocation (the followers then cut live connections). */
  revoke(id: string, reason: RevocationReason): Promise<Revocation & { hub_url: string }>;
  close(): Promise<void>;
}

/** A client of the Hub's CA with an admin credential, trusting the Hub CA pinned in the state dir. */
export function createHubCaClient(options: { settings: HubSettings; stateDir: string; credential: HubAdminCredential; timeoutMs?: number }): HubCaClient {
  let caPem: string;
  try {
    caPem = readFileSync(sidecarHubPaths(options.stateDir).ca, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_HUB_NOT_INITIALIZED', `hub.url is set but ${options.stateDir} holds no pinned Hub CA`, {
      fix: 'enroll first: `tlsmcp init --hub-url URL --service-id ID --token TOKEN`',
      cause: err,
    });
  }
  const http = createMtlsFetch({ caPem, certPem: options.credential.certPem, keyPem: options.credential.keyPem });
  const timeoutMs = options.timeoutMs ?? 15_000;

  /** The first Hub URL that answers; the Hub's own error (code, message, fix) is kept as it is. */
  async function call(method: string, path: string): Promise<{ url: string; body: unknown }> {
    const reasons: string[] = [];
    for (const url of options.settings.urls) {
      let res: Response;
      try {
        res = await http.fetch(new URL(path, url).toString(), { method, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        reasons.push(`${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
        continue;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; fix?: string } };
      if (res.ok) return { url, body };
      const code = (ERROR_CODES as readonly string[]).includes(body.error?.code ?? '') ? (body.error!.code as ErrorCode) : 'ERR_INTERNAL';
      throw new TlsmcpError(code, `the Hub (${url}) refused ${method} ${path}: ${body.error?.message ?? `HTTP ${res.status}`}`, {
        ...(body.error?.fix ? { fix: body.error.fix } : {}),
        details: { hub_url: url, status: res.status },
      });
    }
    throw new TlsmcpError('ERR_HUB_UNREACHABLE', `no Hub URL answered ${method} ${path}: ${reasons.join('; ')}`, {
      fix: 'start the Hub or check hub.url; nothing was changed',
    });
  }

  return {
    async revoke(id, reason) {
      const { url, body } = await call('DELETE', `/api/v1/certs/${encodeURIComponent(id)}?reason=${encodeURIComponent(reason)}`);
      return { ...revocationSchema.parse(body), hub_url: url };
    },
    close: () => http.destroy().catch(() => undefined),
  };
}
