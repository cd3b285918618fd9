/** `tlsmcp hub`: the control plane (init, serve, token create), one file each. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerHubInitCommand } from './hub-init.js';
import { registerHubServeCommand } from './hub-serve.js';
import { registerHubTokenCommand } from './hub-token.js';

export function registerHubCommand(program: Command, ctx: CliContext): void {
  const hub = program.command('hub').description('the Hub: one control plane that issues, revokes and pushes to every tlsmcp sidecar');
  registerHubInitCommand(hub, ctx);
  registerHubServeCommand(hub, ctx);
  registerHubTokenCommand(hub, ctx);
}
