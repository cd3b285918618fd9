/**
 * `tlsmcp completion bash|zsh|fish`: prints a completion script for the whole
 * command tree, read from the program itself (so it needs every command
 * registered: commands/index.ts loads them all for this one).
 */
import { Argument, type Command } from 'commander';
import { bashCompletion } from '../completion/bash.js';
import { fishCompletion } from '../completion/fish.js';
import { completionSpec, type CompletionSpec } from '../completion/spec.js';
import { zshCompletion } from '../completion/zsh.js';
import type { CliContext } from '../context.js';

const SHELLS: Record<string, (spec: CompletionSpec) => string> = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
};

export function registerCompletionCommand(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh: `source <(tlsmcp completion bash)`; fish: `tlsmcp completion fish | source`)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(Object.keys(SHELLS)))
    .action(async (shell: string, _opts: unknown, cmd: Command) =>
      ctx.run(cmd, false, () => {
        ctx.io.stdout.write(SHELLS[shell]!(completionSpec(cmd.parent!)));
        return 0;
      }),
    );
}
