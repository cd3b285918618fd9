/**
 * `tlsmcp cert revoke` on a sidecar with hub.url set: the revocation goes to
 * the Hub (DELETE /api/v1/certs/{id}) with an admin credential, so every
 * follower cuts the certificate's live connections, not only this instance.
 * The local CA is not touched: it does not hold the fleet's certificates.
 */
import type { HubSettings } from '../../../config/schema.js';
import { TlsmcpError } from '../../../errors.js';
import type { RevocationReason } from '../../../ca/index.js';
import { createHubCaClient, hubAdminCredential } from '../../../hub/ca-client.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine } from '../../output.js';

export interface RevokeOnHubOptions {
  settings: HubSettings;
  stateDir: string;
  target: { id?: string | undefined; job?: string | undefined };
  reason: RevocationReason;
  json?: boolean | undefined;
  hubCert?: string | undefined;
  hubKey?: string | undefined;
}

export async function revokeOnHub(ctx: CliContext, options: RevokeOnHubOptions): Promise<number> {
  if (options.target.job !== undefined || options.target.id === undefined) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--job is not available with hub.url set: the Hub revokes one certificate at a time', {
      fix: 'revoke each certificate by id (`tlsmcp cert revoke --id ID --hub-cert … --hub-key …`)',
    });
  }
  const credential = hubAdminCredential({ certFile: options.hubCert, keyFile: options.hubKey, env: ctx.io.env });
  const client = createHubCaClient({ settings: options.settings, stateDir: options.stateDir, credential });
  try {
    const revoked = await client.revoke(options.target.id, options.reason);
    if (options.json) printJson(ctx.io, revoked);
    else printLine(ctx.io, `revoked ${revoked.id} (serial ${revoked.serial}) on the Hub ${revoked.hub_url} at ${revoked.revoked_at}, reason ${revoked.reason}; every sidecar following it cuts its connections`);
    return 0;
  } finally {
    await client.close();
  }
}
