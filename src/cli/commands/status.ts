/** `tlsmcp status`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show each service, its worker and certificate expiry (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp status is not implemented yet');
      }),
    );
}
