/** `tlsmcp cert`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerCertCommand(program: Command, ctx: CliContext): void {
  program
    .command('cert')
    .description('issue, list, inspect, renew and revoke certificates (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp cert is not implemented yet');
      }),
    );
}
