/**
 * `tlsmcp cert renew`: a new certificate with the same identity and SANs and a
 * fresh validity. The old one stays valid until it expires or is revoked.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { printJson } from '../../output.js';
import { parseIntervalOption, runRenewWatch } from '../renew-watch.js';
import { printIssued } from './issue.js';
import { resolvePath, runWithCa } from './shared.js';

interface RenewOptions {
  watch?: boolean;
  interval: number;
  out?: string;
  p12?: boolean;
  p12Password?: string;
  json?: boolean;
}

export function registerCertRenewCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('renew')
    .description('issue a successor with the same identity and SANs (new key, unless the original came from a CSR); --watch: the renewal daemon (as `tlsmcp renew --watch`)')
    .argument('[id]', 'certificate id or serial (see `tlsmcp cert list`)')
    .option('--watch', 'instead of one id: renew this instance\'s certificates when due, in the foreground')
    .option('--interval <duration>', 'how often to check with --watch', parseIntervalOption, 60_000)
    .option('--out <dir>', 'write cert.pem, key.pem (0600) and ca.pem here instead of the state dir')
    .option('--p12', 'also write bundle.p12 (certificate, key and CA; PKCS#12)')
    .option('--p12-password <password>', 'password for bundle.p12 (default: $TLSMCP_P12_PASSWORD, else empty)')
    .option('--json', 'print the new record as JSON (never the key)')
    .action(async (id: string | undefined, opts: RenewOptions, cmd: Command) => {
      if (opts.watch || id === undefined) {
        if (!opts.watch) {
          cmd.error("error: missing required argument 'id' (or --watch)", { exitCode: 2 });
        }
        return ctx.run(cmd, false, () => runRenewWatch(ctx, cmd, { watch: true, interval: opts.interval }));
      }
      return runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca }) => {
        const { record } = await ca.renew(id, {
          outDir: opts.out ? resolvePath(ctx, opts.out) : undefined,
          p12: opts.p12,
          p12Password: opts.p12Password ?? ctx.io.env.TLSMCP_P12_PASSWORD ?? '',
        });
        if (opts.json) printJson(ctx.io, record);
        else printIssued(ctx.io, record, 'renewed');
      });
    });
}
