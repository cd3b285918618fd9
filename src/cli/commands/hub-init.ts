/** `tlsmcp hub init --state DIR`: the Hub's CA and the first admin credential (DIR/admin). A rerun changes nothing. */
import { Option, type Command } from 'commander';
import { initHub } from '../../hub/hub-state.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { openHubStore } from '../../hub/open-store.js';
import { redactDatabaseUrl } from '../../hub/pg-store.js';
import { DATABASE_URL_HELP, hubConfig, hubDatabaseUrl, hubStateDir } from './hub-shared.js';

const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;

export function registerHubInitCommand(hub: Command, ctx: CliContext): void {
  hub
    .command('init')
    .description("create the Hub's CA and an admin client certificate in the state dir")
    .addOption(new Option('--key-type <type>', 'CA key type').choices(KEY_TYPES).default('ecdsa-p256'))
    .option('--json', 'print the result as JSON')
    .option('--database-url <url>', `${DATABASE_URL_HELP}; init applies its migrations`)
    .action(async (opts: { keyType: (typeof KEY_TYPES)[number]; json?: boolean; databaseUrl?: string }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const stateDir = hubStateDir(ctx, cmd);
        const config = hubConfig(ctx, cmd);
        const databaseUrl = hubDatabaseUrl(ctx, config, opts.databaseUrl);
        const result = await initHub(stateDir, config, { keyType: opts.keyType, logger: ctx.logger(cmd) });
        // Opening the store migrates it, so the replicas' first `hub serve` finds the schema in place.
        if (databaseUrl) await (await openHubStore({ stateDir, databaseUrl, logger: ctx.logger(cmd) })).close();
        const database = databaseUrl ? redactDatabaseUrl(databaseUrl) : 'embedded';
        if (opts.json) return printJson(ctx.io, { state_dir: stateDir, database, ...result });
        printLine(ctx.io, result.created ? `created the Hub CA (${opts.keyType}) in ${stateDir}` : `the Hub CA in ${stateDir} already exists; left it unchanged`);
        printLine(ctx.io, `  ca cert    ${result.ca_cert}`);
        printLine(ctx.io, `  admin      ${result.admin.cert} (key ${result.admin.key}, 0600)${result.admin_created ? '' : ' (kept)'}`);
        printLine(ctx.io, `  database   ${database}`);
        printLine(ctx.io, `next: tlsmcp hub serve --state ${stateDir} --listen 127.0.0.1:7443${databaseUrl ? ' --database-url URL' : ''}`);
      }),
    );
}
