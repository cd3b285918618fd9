/**
 * What shell completion needs from the commander program: each command path,
 * its subcommands, and its options (the global ones too) with whether they take
 * a value, their choices and whether that value is a file. Read from the
 * program itself, so a new command or option completes without edits here.
 */
import type { Command, Option } from 'commander';

export interface OptionSpec {
  long: string | undefined;
  short: string | undefined;
  description: string;
  takesValue: boolean;
  choices: string[];
  /** The value is a path (`<file>`, `<dir>`). */
  path: boolean;
}

export interface CommandSpec {
  /** Words after the program name, e.g. ['cert', 'issue']; [] for the program. */
  path: string[];
  description: string;
  subcommands: { name: string; description: string }[];
  options: OptionSpec[];
  /** Takes positional arguments (completed as files). */
  hasArguments: boolean;
}

export interface CompletionSpec {
  program: string;
  commands: CommandSpec[];
}

function optionSpec(o: Option): OptionSpec {
  return {
    long: o.long,
    short: o.short,
    description: o.description,
    takesValue: o.required || o.optional,
    choices: o.argChoices ?? [],
    path: /<(file|dir)>/.test(o.flags),
  };
}

const HELP: OptionSpec = { long: '--help', short: '-h', description: 'display help for command', takesValue: false, choices: [], path: false };

/** Walks the program; every subcommand also accepts the program's options (except --version). */
export function completionSpec(program: Command): CompletionSpec {
  const globals = program.options.map(optionSpec);
  const commands: CommandSpec[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const own = cmd.options.map(optionSpec);
    const options = path.length === 0 ? [...own, HELP] : [...own, ...globals.filter((g) => g.long !== '--version'), HELP];
    commands.push({
      path,
      description: cmd.description(),
      subcommands: cmd.commands.map((c) => ({ name: c.name(), description: c.description() })),
      options,
      hasArguments: cmd.registeredArguments.length > 0,
    });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return { program: program.name(), commands };
}

/** The words an option is written as: `--type`, `-t`. */
export function optionWords(o: OptionSpec): string[] {
  return [o.long, o.short].filter((w): w is string => w !== undefined);
}
