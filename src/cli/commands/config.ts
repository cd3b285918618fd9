/**
 * `tlsmcp config check [--config FILE] [--state DIR] [--json]`: validates a
 * configuration without starting anything (no port bound, nothing contacted,
 * nothing written). Exit 0 with the effective, normalized config and the
 * notices about how keys were read; exit 1 with every problem at once.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Config } from '../../config/schema.js';
import { isTlsmcpError } from '../../errors.js';
import { formatHostPort } from '../../util/address.js';
import { formatDuration } from '../../util/duration.js';
import type { CliContext } from '../context.js';
import { printJson, printLine, reportError } from '../output.js';

/** The config as printed: secrets replaced, the internal `notices` list shown apart. */
export function printableConfig(config: Config): Omit<Config, 'notices'> {
  const { notices: _notices, ...rest } = config;
  return {
    ...rest,
    hub_settings: rest.hub_settings && { ...rest.hub_settings, auth_token: rest.hub_settings.auth_token === undefined ? undefined : '[redacted]' },
  };
}

const DURATION_KEY = /(_ttl|^ttl|_timeout|^timeout|_refresh|^interval|_interval|^deadline|^overlap|^renew_before|_delay)$/;

/** For people: addresses as host:port (":8443" for every interface), durations as 90s / 30d. */
function forDisplay(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => forDisplay(v));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.host === 'string' && typeof o.port === 'number' && Object.keys(o).length === 2) {
      return o.host === '' ? `:${o.port}` : formatHostPort({ host: o.host, port: o.port });
    }
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, forDisplay(v, k)]));
  }
  if (typeof value === 'number' && DURATION_KEY.test(key)) return formatDuration(value);
  return value;
}

export function registerConfigCommand(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('work with the configuration file');
  config
    .command('check')
    .description('validate the config (and env overrides) without starting anything; print the effective config, or every problem')
    .option('--json', 'print JSON: { ok, source, state_dir, notices, config } or { ok: false, problems }')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), () => {
        const file = ctx.configFile(cmd);
        const source = file ?? 'built-in defaults (no --config and no $TLSMCP_CONFIG)';
        let loaded: Config;
        try {
          loaded = ctx.loadConfig(cmd);
        } catch (err) {
          if (opts.json && isTlsmcpError(err) && err.code === 'ERR_CONFIG_INVALID') {
            printJson(ctx.io, { ok: false, source, problems: err.details?.problems ?? [] });
            return 1;
          }
          return reportError(ctx.io, err, Boolean(opts.json));
        }
        const stateDir = ctx.stateDir(cmd, loaded);
        const effective = printableConfig(loaded);
        if (opts.json) {
          printJson(ctx.io, { ok: true, source, state_dir: stateDir, notices: loaded.notices, config: effective });
          return 0;
        }
        printLine(ctx.io, `# ${source}: valid (${loaded.services.length} service${loaded.services.length === 1 ? '' : 's'}); state dir ${stateDir}`);
        for (const n of loaded.notices) printLine(ctx.io, `# notice: ${n.path}: ${n.message}`);
        printLine(ctx.io, '# effective configuration (":8443" listens on every interface):');
        ctx.io.stdout.write(stringify(forDisplay(effective), { aliasDuplicateObjects: false }));
        return 0;
      }),
    );
}
