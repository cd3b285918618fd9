/**
 * `tlsmcp reload [--service NAME] [--json]`: asks the running sidecar to
 * re-read its config and certificates. Live connections are kept; changes
 * that need a restart (a new port) are listed, not applied.
 */
import type { Command } from 'commander';
import type { ReloadResult } from '../../supervisor/types.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { callAdmin, findRunning } from './admin-client.js';

export function registerReloadCommand(program: Command, ctx: CliContext): void {
  program
    .command('reload')
    .description('reload certificates and policy of the running sidecar without dropping connections')
    .option('--service <name>', 'only this service')
    .option('--json', 'print JSON')
    .action(async (opts: { service?: string; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const { base } = findRunning(ctx, cmd);
        const { results } = await callAdmin<{ results: ReloadResult[] }>(base, '/reload', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(opts.service ? { service: opts.service } : {}),
        });
        const failed = results.some((r) => r.error);
        if (opts.json) {
          printJson(ctx.io, { results });
          return failed ? 1 : 0;
        }
        for (const r of results) {
          const head = r.error ? `${r.service}: not reloaded: ${r.error}` : `${r.service}: reloaded (${r.applied.join(', ') || 'nothing changed'})`;
          printLine(ctx.io, head);
          if (r.needs_restart.length > 0) printLine(ctx.io, `  needs a restart to apply: ${r.needs_restart.join(', ')}`);
        }
        return failed ? 1 : 0;
      }),
    );
}
