/**
 * `tlsmcp cert revoke ID | --id ID | --job JOB`: marks certificates revoked
 * (time and reason) so the proxy and the CRL refuse them. `--job` revokes every
 * certificate of a CI job at once, for the end of a pipeline. With hub.url set
 * the revocation is the Hub's (src/cli/commands/cert/revoke-hub.ts).
 */
import { Option, type Command } from 'commander';
import { REVOCATION_REASONS, type CertificateAuthority, type CertView, type RevocationReason } from '../../../ca/index.js';
import { TlsmcpError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine } from '../../output.js';
import { jobOu, parseJobOption } from './job.js';
import { revokeOnHub } from './revoke-hub.js';
import { runWithCa } from './shared.js';

interface RevokeOptions {
  id?: string;
  job?: string;
  reason: RevocationReason;
  json?: boolean;
  hubCert?: string;
  hubKey?: string;
}

export function registerCertRevokeCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('revoke')
    .description('revoke a certificate by id or serial (or all of a CI job\'s); recorded with time and reason and listed in the CRL')
    .argument('[id]', 'certificate id or serial (see `tlsmcp cert list`)')
    .option('--id <id>', 'the same as the positional id (the specification\'s spelling)')
    .option('--job <id>', 'revoke every certificate issued for this CI job', parseJobOption)
    .addOption(new Option('--reason <reason>', 'revocation reason').choices(REVOCATION_REASONS).default('unspecified'))
    .option('--json', 'print the revoked record(s) as JSON')
    .option('--hub-cert <file>', 'with hub.url set: a Hub admin certificate to revoke with (or TLSMCP_HUB_CERT)')
    .option('--hub-key <file>', 'its private key (or TLSMCP_HUB_KEY)')
    .action(async (positional: string | undefined, opts: RevokeOptions, cmd: Command) =>
      runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca, config, stateDir }) => {
        const given = [positional, opts.id, opts.job].filter((v) => v !== undefined);
        if (given.length !== 1 || (positional !== undefined && opts.id !== undefined)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', 'name exactly one target: an id (positional or --id) or --job', {
            fix: 'e.g. `tlsmcp cert revoke --id 3f2a…` or `tlsmcp cert revoke --job $CI_JOB_ID`',
          });
        }
        if (config.hub_settings) return revokeOnHub(ctx, { settings: config.hub_settings, stateDir, target: { id: positional ?? opts.id, job: opts.job }, ...opts });
        if (opts.job) return revokeJob(ctx, ca, opts.job, opts);
        const id = (positional ?? opts.id)!;
        const { before, after } = await revokeOne(ca, id, opts.reason);
        if (opts.json) {
          printJson(ctx.io, { ...after, already_revoked: Boolean(before.revoked) });
          return 0;
        }
        const when = after.revoked ? `${after.revoked.at}, reason ${after.revoked.reason}` : '';
        printLine(ctx.io, before.revoked ? `${after.id} was already revoked (${when})` : `revoked ${after.id} (serial ${after.serial}) at ${when}`);
        return 0;
      }),
    );
}

async function revokeOne(ca: CertificateAuthority, id: string, reason: RevocationReason): Promise<{ before: CertView; after: CertView }> {
  const before = await ca.get(id);
  const after = before.revoked ? before : await ca.revoke(id, reason);
  return { before, after };
}

async function revokeJob(ctx: CliContext, ca: CertificateAuthority, job: string, opts: RevokeOptions): Promise<number> {
  const certs = (await ca.list()).filter((c) => c.ou === jobOu(job));
  if (certs.length === 0) {
    throw new TlsmcpError('ERR_CERT_NOT_FOUND', `no certificates were issued for job ${job}`, { fix: 'check the job id with `tlsmcp cert list --job ID`' });
  }
  const revoked: CertView[] = [];
  const already: CertView[] = [];
  for (const c of certs) {
    const { before, after } = await revokeOne(ca, c.id, opts.reason);
    (before.revoked ? already : revoked).push(after);
  }
  if (opts.json) {
    printJson(ctx.io, { job, revoked, already_revoked: already });
    return 0;
  }
  printLine(ctx.io, `job ${job}: revoked ${revoked.length} certificate${revoked.length === 1 ? '' : 's'}${already.length ? `, ${already.length} already revoked` : ''}`);
  for (const c of revoked) printLine(ctx.io, `  ${c.id}  serial ${c.serial}  CN=${c.cn}`);
  return 0;
}
