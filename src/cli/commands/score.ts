/** `tlsmcp score`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerScoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('score')
    .description('score the posture of everything tlsmcp manages (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp score is not implemented yet');
      }),
    );
}
