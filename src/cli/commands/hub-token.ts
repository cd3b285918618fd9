/** `tlsmcp hub token create --service-id ID [--ttl 1h] [--json]`: a single-use enrollment token, printed once, stored hashed. */
import { type Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import { createHubCa } from '../../hub/hub-state.js';
import { openHubStore } from '../../hub/open-store.js';
import { createEnrollmentToken } from '../../hub/tokens.js';
import { DURATION_HINT, parseDuration } from '../../util/duration.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { DATABASE_URL_HELP, hubConfig, hubDatabaseUrl, hubStateDir } from './hub-shared.js';

export function registerHubTokenCommand(hub: Command, ctx: CliContext): void {
  const token = hub.command('token').description('enrollment tokens for new instances');
  token
    .command('create')
    .description('print a single-use enrollment token for a service')
    .requiredOption('--service-id <id>', 'the service the instance joins')
    .option('--ttl <duration>', 'how long the token stays valid', '1h')
    .option('--json', 'print { token, service_id, expires_at }')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .action(async (opts: { serviceId: string; ttl: string; json?: boolean; databaseUrl?: string }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const ttlMs = parseDuration(opts.ttl);
        if (ttlMs === undefined || ttlMs <= 0) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--ttl: "${opts.ttl}" is not a duration`, { fix: DURATION_HINT });
        if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/.test(opts.serviceId)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--service-id: "${opts.serviceId}" is not a service name`, { fix: 'use 1-63 letters, digits, ".", "_" or "-"' });
        }
        const stateDir = hubStateDir(ctx, cmd);
        const config = hubConfig(ctx, cmd);
        const ca = createHubCa(stateDir, config);
        if (!ca.exists()) throw new TlsmcpError('ERR_HUB_NOT_INITIALIZED', `no Hub CA in ${stateDir}`, { fix: `run \`tlsmcp hub init --state ${stateDir}\` first` });
        const store = await openHubStore({ stateDir, databaseUrl: hubDatabaseUrl(ctx, config, opts.databaseUrl), logger: ctx.logger(cmd) });
        try {
          const created = await createEnrollmentToken(store, { serviceId: opts.serviceId, ttlMs, now: new Date(), caPem: ca.caCertPem() });
          if (opts.json) return printJson(ctx.io, created);
          printLine(ctx.io, created.token);
          ctx.io.stderr.write(`single-use token for service ${created.service_id}, valid until ${created.expires_at}\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
