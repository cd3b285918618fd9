/** `tlsmcp run`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run the mTLS proxy workers under a supervisor (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp run is not implemented yet');
      }),
    );
}
