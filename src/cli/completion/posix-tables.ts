/**
 * Lookup functions shared by the bash and zsh scripts (plain `case`, which both
 * shells run): subcommands, options, options taking a value, choices and path
 * options, keyed by the command path ("cert issue").
 */
import { optionWords, type CompletionSpec } from './spec.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function table(fn: string, rows: [key: string, words: string[]][]): string {
  const cases = rows.filter(([, words]) => words.length > 0).map(([key, words]) => `    ${quote(key)}) echo ${quote(words.join(' '))} ;;`);
  return [`${fn}() {`, '  case "$1" in', ...cases, '  esac', '}'].join('\n');
}

export function posixTables(spec: CompletionSpec, prefix: string): string {
  const key = (path: string[]) => path.join(' ');
  return [
    table(`${prefix}_subcommands`, spec.commands.map((c) => [key(c.path), c.subcommands.map((s) => s.name)])),
    table(`${prefix}_options`, spec.commands.map((c) => [key(c.path), c.options.flatMap(optionWords)])),
    table(`${prefix}_valued`, spec.commands.map((c) => [key(c.path), c.options.filter((o) => o.takesValue).flatMap(optionWords)])),
    table(`${prefix}_paths`, spec.commands.map((c) => [key(c.path), c.options.filter((o) => o.path).flatMap(optionWords)])),
    table(`${prefix}_arguments`, spec.commands.filter((c) => c.hasArguments).map((c) => [key(c.path), ['yes']])),
    table(
      `${prefix}_choices`,
      spec.commands.flatMap((c) => c.options.filter((o) => o.choices.length > 0).flatMap((o) => optionWords(o).map((w): [string, string[]] => [`${key(c.path)}|${w}`, o.choices]))),
    ),
  ].join('\n\n');
}
