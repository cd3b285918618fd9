/** `tlsmcp renew --watch`: the renewal daemon (also `tlsmcp cert renew --watch`). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { parseIntervalOption, runRenewWatch, type RenewWatchOptions } from './renew-watch.js';

export function registerRenewCommand(program: Command, ctx: CliContext): void {
  program
    .command('renew')
    .description('renew the certificates this instance serves and presents when due (renew_before), with overlap; --watch keeps checking')
    .option('--watch', 'stay in the foreground and check every --interval (SIGINT/SIGTERM stop)')
    .option('--once', 'one check, then exit (the default without --watch)')
    .option('--interval <duration>', 'how often to check with --watch', parseIntervalOption, 60_000)
    .option('--json', 'with --once: print the outcome per service as JSON')
    .action(async (opts: RenewWatchOptions, cmd: Command) => ctx.run(cmd, Boolean(opts.json), () => runRenewWatch(ctx, cmd, opts)));
}
