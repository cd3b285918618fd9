/** What the hub subcommands share: the Hub's state dir (--state, $TLSMCP_HUB_HOME, ~/.tlsmcp-hub) and its config (--config). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadHubConfig, type HubConfig } from '../../hub/hub-config.js';
import { resolveDatabaseUrl } from '../../hub/open-store.js';
import type { CliContext } from '../context.js';

export function hubStateDir(ctx: CliContext, cmd: Command): string {
  return resolve(ctx.globals(cmd).state ?? ctx.io.env.TLSMCP_HUB_HOME ?? join(homedir(), '.tlsmcp-hub'));
}

export function hubConfig(ctx: CliContext, cmd: Command): HubConfig {
  return loadHubConfig(ctx.globals(cmd).config);
}

/** The PostgreSQL URL in effect: --database-url, then database_url in the Hub config, then $TLSMCP_HUB_DATABASE_URL; none = the embedded store. */
export function hubDatabaseUrl(ctx: CliContext, config: HubConfig, flag: string | undefined): string | undefined {
  return resolveDatabaseUrl(flag, config.database_url, ctx.io.env);
}

export const DATABASE_URL_HELP = 'postgres://USER:PASSWORD@HOST:PORT/DB: the store shared by several Hub replicas (default: the embedded store; also database_url in --config, $TLSMCP_HUB_DATABASE_URL)';
