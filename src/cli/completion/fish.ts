/** `tlsmcp completion fish`: `complete` rules for the whole command tree. */
import { type CommandSpec, type CompletionSpec, type OptionSpec } from './spec.js';

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A fish condition true exactly when the command line is at `path` (and no deeper). */
function at(spec: CompletionSpec, path: string[]): string {
  const parts = path.map((word) => `__fish_seen_subcommand_from ${word}`);
  const node = spec.commands.find((c) => c.path.join(' ') === path.join(' '));
  const deeper = node?.subcommands.map((s) => s.name) ?? [];
  if (path.length === 0) return '__fish_use_subcommand';
  if (deeper.length > 0) parts.push(`not __fish_seen_subcommand_from ${deeper.join(' ')}`);
  return parts.join('; and ');
}

function optionRule(program: string, condition: string, o: OptionSpec): string {
  const words = [o.long ? `-l ${o.long.replace(/^--/, '')}` : '', o.short ? `-s ${o.short.replace(/^-/, '')}` : ''].filter(Boolean).join(' ');
  const value = o.choices.length > 0 ? ` -x -a ${quote(o.choices.join(' '))}` : o.takesValue ? (o.path ? ' -r -F' : ' -x') : '';
  return `complete -c ${program} -n ${quote(condition)} ${words}${value} -d ${quote(o.description)}`;
}

function commandRules(spec: CompletionSpec, c: CommandSpec): string[] {
  const condition = at(spec, c.path);
  return [
    ...c.subcommands.map((s) => `complete -c ${spec.program} -n ${quote(condition)} -a ${s.name} -d ${quote(s.description)}`),
    ...c.options.map((o) => optionRule(spec.program, condition, o)),
    ...(c.hasArguments ? [`complete -c ${spec.program} -n ${quote(condition)} -F`] : []),
  ];
}

export function fishCompletion(spec: CompletionSpec): string {
  return [
    `# ${spec.program} completion for fish. Load it with:`,
    `#   ${spec.program} completion fish | source`,
    `# or save it as ~/.config/fish/completions/${spec.program}.fish.`,
    `complete -c ${spec.program} -f`,
    ...spec.commands.flatMap((c) => commandRules(spec, c)),
    '',
  ].join('\n');
}
