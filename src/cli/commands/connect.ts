/** `tlsmcp connect`: placeholder until its issue lands; fails clearly rather than pretending. */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

export function registerConnectCommand(program: Command, ctx: CliContext): void {
  program
    .command('connect')
    .description('stdio MCP bridge to a remote mTLS MCP endpoint (not implemented yet)')
    .allowUnknownOption()
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, () => {
        throw new TlsmcpError('ERR_NOT_IMPLEMENTED', 'tlsmcp connect is not implemented yet');
      }),
    );
}
