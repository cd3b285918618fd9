/** `tlsmcp cert revoke`: marks a certificate revoked (time and reason) so the proxy and the CRL refuse it. */
import { Option, type Command } from 'commander';
import { REVOCATION_REASONS, type RevocationReason } from '../../../ca/index.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine } from '../../output.js';
import { runWithCa } from './shared.js';

export function registerCertRevokeCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('revoke')
    .description('revoke a certificate by id or serial; it is recorded with time and reason and listed in the CRL')
    .argument('<id>', 'certificate id or serial (see `tlsmcp cert list`)')
    .addOption(new Option('--reason <reason>', 'revocation reason').choices(REVOCATION_REASONS).default('unspecified'))
    .option('--json', 'print the revoked record as JSON')
    .action(async (id: string, opts: { reason: RevocationReason; json?: boolean }, cmd: Command) =>
      runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca }) => {
        const before = await ca.get(id);
        const after = before.revoked ? before : await ca.revoke(id, opts.reason);
        if (opts.json) {
          printJson(ctx.io, { ...after, already_revoked: Boolean(before.revoked) });
          return;
        }
        const when = after.revoked ? `${after.revoked.at}, reason ${after.revoked.reason}` : '';
        printLine(ctx.io, before.revoked ? `${after.id} was already revoked (${when})` : `revoked ${after.id} (serial ${after.serial}) at ${when}`);
      }),
    );
}
