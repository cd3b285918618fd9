/** `tlsmcp hub serve --state DIR --listen HOST:PORT [--config FILE]`: the Hub in the foreground; SIGTERM/SIGINT stop it. */
import type { Command } from 'commander';
import { startHub } from '../../hub/server.js';
import { TlsmcpError } from '../../errors.js';
import { parseHostPort } from '../../util/address.js';
import type { CliContext } from '../context.js';
import { printLine } from '../output.js';
import { DATABASE_URL_HELP, hubConfig, hubDatabaseUrl, hubStateDir } from './hub-shared.js';

export function registerHubServeCommand(hub: Command, ctx: CliContext): void {
  hub
    .command('serve')
    .description('serve the Hub API over HTTPS with client certificates (foreground)')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free one)', '127.0.0.1:7443')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .action(async (opts: { listen: string; databaseUrl?: string }, cmd: Command) =>
      ctx.run(cmd, false, async () => {
        const listen = parseHostPort(opts.listen, { allowZero: true });
        if (!listen.ok) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--listen: ${listen.error}`, { fix: 'write HOST:PORT, e.g. 127.0.0.1:7443' });
        const stateDir = hubStateDir(ctx, cmd);
        const logger = ctx.logger(cmd);
        const config = hubConfig(ctx, cmd);
        const running = await startHub({ stateDir, listen: listen.value, config, logger, databaseUrl: hubDatabaseUrl(ctx, config, opts.databaseUrl) });
        printLine(ctx.io, `hub listening on ${running.url}`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            void running.close().then(resolve);
          };
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
        });
        return 0;
      }),
    );
}
