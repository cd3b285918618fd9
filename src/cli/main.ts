/**
 * The `tlsmcp` command line: builds the commander program from one file per
 * subcommand and runs it. Importing this module starts nothing; `main()` does.
 */
import { Command, CommanderError, Option } from 'commander';
import { defaultIo, type CliIo } from './output.js';
import { createCliContext } from './context.js';
import { registerCommands } from './commands/index.js';
import { addHelpExamples } from './help-examples.js';
import { fipsPreAction } from './fips-hook.js';
import { isTlsmcpError } from '../errors.js';
import { reportError } from './output.js';
import { VERSION } from '../version.js';

export async function createProgram(io: CliIo, argv: string[] = []) {
  const ctx = createCliContext(io);
  const program = new Command('tlsmcp')
    .description('mTLS in front of services and MCP servers, run by agents through MCP tools')
    .version(VERSION)
    .option('--state <dir>', 'state directory (default: $TLSMCP_HOME, config state_dir, ~/.tlsmcp)')
    .option('--config <file>', 'config file (YAML; default: $TLSMCP_CONFIG)')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addOption(new Option('--log-format <format>', 'json lines with ISO timestamps, or pretty for people (default: config logging.format, else json)').choices(['json', 'pretty']))
    .option('--fips', "FIPS mode: Node's crypto on an OpenSSL FIPS provider, or refuse to start (config: fips_mode)")
    .hook('preAction', fipsPreAction(ctx))
    .showHelpAfterError()
    // Each subcommand's --help lists the global options too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  await registerCommands(program, ctx, argv);
  addHelpExamples(program);
  // Subcommands inherit the error handling and output of the program.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }).showHelpAfterError();
      inherit(sub);
    }
  };
  inherit(program);
  return { program, ctx };
}

/** Runs the CLI and resolves to its exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const { program, ctx } = await createProgram(io, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors exit 2 (commander printed the message).
      return err.exitCode === 0 ? 0 : 2;
    }
    // A refusal before the command ran (the --fips / fips_mode hook).
    if (isTlsmcpError(err)) return reportError(io, err, argv.includes('--json'));
    throw err;
  }
  return ctx.exitCode;
}
