/**
 * `tlsmcp reload [--config FILE] [--service NAME] [--json]`: asks the running
 * sidecar to re-read its config and certificates. Live connections are kept;
 * changes that need a restart (a new port) are listed, not applied. With
 * --config, FILE is validated here first (nothing is sent if it has problems)
 * and must be the file the running sidecar was started with.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { ReloadResult } from '../../supervisor/types.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { callAdmin, findRunning, reportNotRunning } from './admin-client.js';

export function registerReloadCommand(program: Command, ctx: CliContext): void {
  program
    .command('reload')
    .description('reload certificates and policy of the running sidecar without dropping connections (--config FILE: validate and reload from that file)')
    .option('--service <name>', 'only this service')
    .option('--json', 'print JSON')
    .action(async (opts: { service?: string; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const file = ctx.globals(cmd).config;
        // Validates FILE (every problem, exit 1) before anything is sent.
        ctx.loadConfig(cmd);
        let running: ReturnType<typeof findRunning>;
        try {
          running = findRunning(ctx, cmd);
        } catch (err) {
          const code = reportNotRunning(ctx, err, Boolean(opts.json));
          if (code === undefined) throw err;
          return code;
        }
        const runningFile = running.info.config_file;
        if (file && (!runningFile || resolve(ctx.io.cwd, file) !== resolve(runningFile))) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `the running tlsmcp (pid ${running.info.pid}) was started ${runningFile ? `with ${runningFile}` : 'without a config file'}, not ${resolve(ctx.io.cwd, file)}`, {
            fix: runningFile ? `edit ${runningFile} and run \`tlsmcp reload --config ${runningFile}\`, or restart with \`tlsmcp run --config ${file}\`` : `restart it with \`tlsmcp run --config ${file}\``,
          });
        }
        const { results } = await callAdmin<{ results: ReloadResult[] }>(running.base, '/reload', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(opts.service ? { service: opts.service } : {}),
        });
        const failed = results.some((r) => r.error);
        if (opts.json) {
          printJson(ctx.io, { ...(runningFile ? { config_file: runningFile } : {}), results });
          return failed ? 1 : 0;
        }
        if (runningFile) printLine(ctx.io, `reloading from ${runningFile}`);
        for (const r of results) {
          const head = r.error ? `${r.service}: not reloaded: ${r.error}` : `${r.service}: reloaded (${r.applied.join(', ') || 'nothing changed'})`;
          printLine(ctx.io, head);
          if (r.needs_restart.length > 0) printLine(ctx.io, `  needs a restart to apply: ${r.needs_restart.join(', ')}`);
        }
        return failed ? 1 : 0;
      }),
    );
}
