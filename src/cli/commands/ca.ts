/** `tlsmcp ca`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerCaCommand(program: Command, ctx: CliContext): void {
  program
    .command('ca')
    .description('certificate authority operations (crl) (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp ca is not implemented yet');
      }),
    );
}
