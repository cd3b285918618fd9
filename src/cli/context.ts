/**
 * What every CLI command gets: the io streams, and helpers to resolve the state
 * dir and config from the global flags. Commands stay thin: parse, call, render.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { embeddedDefaultConfig } from '../config/defaults.js';
import { parseConfig } from '../config/load.js';
import { createLogger, type LogFormat, type LogLevel, type Logger } from '../logger.js';
import { resolveStateDir } from '../state/state-dir.js';
import { reportError, type CliIo } from './output.js';

export interface GlobalOptions {
  state?: string;
  config?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export interface CliContext {
  io: CliIo;
  /** Set by actions; main() returns it. */
  exitCode: number;
  globals(cmd: Command): GlobalOptions;
  /** The config from --config (or TLSMCP_CONFIG); with neither, `fallback`. HUB_URL and SERVICE_ID override. */
  loadConfig(cmd: Command, fallback?: 'empty' | 'embedded'): Config;
  /** The config file the global flags name (--config, else $TLSMCP_CONFIG). */
  configFile(cmd: Command): string | undefined;
  stateDir(cmd: Command, config?: Config): string;
  /**
   * stderr logger: level from --log-level, else the config's (or warn with
   * `cliLevel`, for commands whose output is the result, not a log); format
   * from --log-format, else logging.format.
   */
  logger(cmd: Command, config?: Config, options?: { cliLevel?: boolean }): Logger;
  /** Runs an action, turning thrown errors into a message and an exit code. */
  run(cmd: Command, json: boolean, action: () => Promise<number | void> | number | void): Promise<void>;
}

export function createCliContext(io: CliIo): CliContext {
  const ctx: CliContext = {
    io,
    exitCode: 0,
    globals: (cmd) => cmd.optsWithGlobals<GlobalOptions>(),
    configFile: (cmd) => ctx.globals(cmd).config ?? (io.env.TLSMCP_CONFIG || undefined),
    loadConfig(cmd, fallback = 'empty') {
      const file = ctx.configFile(cmd);
      const env = { HUB_URL: io.env.HUB_URL, SERVICE_ID: io.env.SERVICE_ID };
      if (file) return loadConfigFile(file, { env });
      return fallback === 'embedded' ? embeddedDefaultConfig() : parseConfig({}, 'defaults', { env });
    },
    stateDir(cmd, config) {
      return resolveStateDir({ flag: ctx.globals(cmd).state, env: io.env, configStateDir: config?.state_dir });
    },
    logger(cmd, config, options = {}) {
      const g = ctx.globals(cmd);
      const configLevel = options.cliLevel ? undefined : config?.logging.level;
      return createLogger({ level: g.logLevel ?? configLevel ?? 'warn', format: g.logFormat ?? config?.logging.format ?? 'json', destination: io.stderr });
    },
    async run(_cmd, json, action) {
      try {
        const code = await action();
        ctx.exitCode = typeof code === 'number' ? code : 0;
      } catch (err) {
        ctx.exitCode = reportError(io, err, json);
      }
    },
  };
  return ctx;
}
