/** `tlsmcp scan`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerScanCommand(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description("scan a host's TLS posture and grade it (not implemented yet)")
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp scan is not implemented yet');
      }),
    );
}
