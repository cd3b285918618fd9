/** `tlsmcp reload`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerReloadCommand(program: Command, ctx: CliContext): void {
  program
    .command('reload')
    .description('reload certificates and policy of a running tlsmcp (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp reload is not implemented yet');
      }),
    );
}
