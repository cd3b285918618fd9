/**
 * Wires one file per subcommand into the program. Each command module is loaded
 * only when its command runs (or for the top-level help): a CLI call should not
 * pay for loading the MCP SDK, the proxy and the scanner to list certificates.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

type Register = (program: Command, ctx: CliContext) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRunCommand,
  init: async () => (await import('./init.js')).registerInitCommand,
  cert: async () => (await import('./cert.js')).registerCertCommand,
  ca: async () => (await import('./ca.js')).registerCaCommand,
  status: async () => (await import('./status.js')).registerStatusCommand,
  score: async () => (await import('./score.js')).registerScoreCommand,
  scan: async () => (await import('./scan.js')).registerScanCommand,
  reload: async () => (await import('./reload.js')).registerReloadCommand,
  mcp: async () => (await import('./mcp.js')).registerMcpCommand,
  connect: async () => (await import('./connect.js')).registerConnectCommand,
  completion: async () => (await import('./completion.js')).registerCompletionCommand,
  config: async () => (await import('./config.js')).registerConfigCommand,
  renew: async () => (await import('./renew.js')).registerRenewCommand,
  hub: async () => (await import('./hub.js')).registerHubCommand,
};

/** Commands that read the whole command tree, so every command is loaded for them. */
const NEEDS_ALL = new Set(['completion']);

/** Global options that take a value, so their value is not mistaken for the command. */
const GLOBAL_WITH_VALUE = new Set(['--state', '--config', '--log-level', '--log-format']);

/** The subcommand named in argv, if any. */
export function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return undefined;
}

export async function registerCommands(program: Command, ctx: CliContext, argv: string[]): Promise<void> {
  const name = commandName(argv);
  const wanted = name && name in COMMANDS && !NEEDS_ALL.has(name) ? [name] : Object.keys(COMMANDS);
  const registers = await Promise.all(wanted.map((n) => COMMANDS[n]!()));
  for (const register of registers) register(program, ctx);
}
