/**
 * `tlsmcp mcp serve [--transport stdio|http|sse] [--address host:port]`: the
 * MCP server (also `tlsmcp-mcp`). With a config that lists services it
 * supervises their proxy workers in the same process. In stdio mode stdout
 * carries JSON-RPC only: nothing here prints there, logs go to stderr.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadConfigFile, parseConfig } from '../../config/load.js';
import { TlsmcpError } from '../../errors.js';
import { startMcpServe, type McpServeHandle, type McpTransportKind } from '../../app/mcp-serve.js';
import { createSupervisor } from '../../supervisor/supervisor.js';
import { parseHostPort, type HostPort } from '../../util/address.js';
import type { CliContext } from '../context.js';
import { printLine } from '../output.js';
import { registerMcpPinsCommand } from './mcp-pins.js';

interface ServeFlags {
  transport?: McpTransportKind;
  address?: string;
}

function parseAddress(text: string | undefined): HostPort | undefined {
  if (text === undefined) return undefined;
  const parsed = parseHostPort(text, { allowZero: true });
  if (!parsed.ok) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--address: ${parsed.error}`, { fix: 'e.g. --address 127.0.0.1:8444' });
  return parsed.value;
}

/** Resolves on SIGINT/SIGTERM or, for stdio, when the client closes stdin. */
function untilStopped(handle: McpServeHandle): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    void handle.disconnected.then(() => stop('stdin closed'));
  });
}

export function registerMcpCommand(program: Command, ctx: CliContext): void {
  const mcp = program.command('mcp').description('the MCP server');
  mcp
    .command('serve')
    .description('serve the tlsmcp tools and resources over MCP (stdio by default; http/sse: an mTLS HTTPS listener at /mcp and /sse)')
    .addOption(new Option('--transport <kind>', 'stdio, or http/sse for the remote HTTPS listener (default: config mcp.transport)').choices(['stdio', 'http', 'sse']))
    .option('--address <host:port>', 'remote listener address (default: config mcp.sse_address)')
    .action(async (flags: ServeFlags, cmd: Command) =>
      ctx.run(cmd, false, async () => {
        const configFile = ctx.globals(cmd).config ?? ctx.io.env.TLSMCP_CONFIG;
        // A client config (mcp.json) names the file before anything wrote it: run on the defaults until it exists.
        const notYet = configFile !== undefined && !existsSync(configFile);
        const config = notYet ? parseConfig({}, 'defaults') : ctx.loadConfig(cmd, 'empty');
        const logger = ctx.logger(cmd, config);
        if (notYet) {
          logger.warn({ event: 'config_not_found', config: configFile }, `config file ${configFile} does not exist yet: serving on the defaults (no services) until it is written and the MCP server restarted`);
        }
        const transport = flags.transport ?? config.mcp.transport;
        const handle = await startMcpServe({
          config,
          stateDir: ctx.stateDir(cmd, config),
          logger,
          transport,
          address: parseAddress(flags.address),
          reloadConfig: configFile ? () => loadConfigFile(configFile) : undefined,
          createSupervisor: (options) => createSupervisor(options),
        });
        if (handle.remote) {
          // Remote mode only: stdout is free, and this line tells scripts (and tests) the bound port.
          printLine(ctx.io, `tlsmcp MCP listening on ${handle.remote.url}/mcp (Streamable HTTP) and ${handle.remote.url}/sse (SSE)`);
        }
        const why = await untilStopped(handle);
        logger.info({ event: 'mcp_stopping', why }, 'MCP server stopping');
        await handle.close();
        return 0;
      }),
    );
  registerMcpPinsCommand(mcp, ctx);
}
