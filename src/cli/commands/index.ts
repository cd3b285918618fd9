/** Wires one file per subcommand into the program. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerInitCommand } from './init.js';
import { registerCertCommand } from './cert.js';
import { registerCaCommand } from './ca.js';
import { registerRunCommand } from './run.js';
import { registerStatusCommand } from './status.js';
import { registerReloadCommand } from './reload.js';
import { registerScanCommand } from './scan.js';
import { registerScoreCommand } from './score.js';
import { registerMcpCommand } from './mcp.js';
import { registerConnectCommand } from './connect.js';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerRunCommand(program, ctx);
  registerInitCommand(program, ctx);
  registerCertCommand(program, ctx);
  registerCaCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerScoreCommand(program, ctx);
  registerScanCommand(program, ctx);
  registerReloadCommand(program, ctx);
  registerMcpCommand(program, ctx);
  registerConnectCommand(program, ctx);
}
