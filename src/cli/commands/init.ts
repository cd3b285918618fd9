/** `tlsmcp init`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the local certificate authority (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp init is not implemented yet');
      }),
    );
}
