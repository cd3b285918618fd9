/** What the hub subcommands share: the Hub's state dir (--state, $TLSMCP_HUB_HOME, ~/.tlsmcp-hub) and its config (--config). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadHubConfig, type HubConfig } from '../../hub/hub-config.js';
import type { CliContext } from '../context.js';

export function hubStateDir(ctx: CliContext, cmd: Command): string {
  return resolve(ctx.globals(cmd).state ?? ctx.io.env.TLSMCP_HUB_HOME ?? join(homedir(), '.tlsmcp-hub'));
}

export function hubConfig(ctx: CliContext, cmd: Command): HubConfig {
  return loadHubConfig(ctx.globals(cmd).config);
}
