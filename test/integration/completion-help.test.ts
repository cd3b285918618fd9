/**
 * `tlsmcp completion bash|zsh|fish` completes commands, subcommands, options
 * (the global ones too) and option choices in the real shells; and every
 * command's --help lists its options, the global options and one example.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram, main } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/cli.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, env: {}, cwd: REPO_ROOT });
  return { code, stdout: out, stderr: err };
}

let dir: string;
const scripts: Record<string, string> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await cli(['completion', shell]);
    expect(result.code, result.stderr).toBe(0);
    scripts[shell] = join(dir, `tlsmcp.${shell}`);
    writeFileSync(scripts[shell], result.stdout);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function shell(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  if (result.error) throw new Error(`${command} cannot run (${result.error.message}): .ci/run installs it`);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((l) => l.length > 0);
}

/** Candidates bash offers for a command line; the last word is the one being completed. */
const bash = (...words: string[]) =>
  shell('bash', ['-c', '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tlsmcp; printf "%s\\n" "${COMPREPLY[@]}"', '_', scripts.bash!, ...words]);

/** Candidates zsh's completion function adds (compadd stubbed to print them; zsh filters by prefix itself). */
const zsh = (...words: string[]) =>
  shell('zsh', ['-fc', 'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print -- "<files>"; }; source "$1"; shift; words=("$@"); CURRENT=$#; _tlsmcp', '_', scripts.zsh!, ...words]);

/** Candidates fish offers for a command line (`complete -C`), without their descriptions. */
const fish = (line: string) => shell('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scripts.fish!, line]).map((l) => l.split('\t')[0]!);

describe('tlsmcp completion', () => {
  it('bash: subcommands, options with the global ones, choices, option values skipped', () => {
    expect(bash('tlsmcp', '')).toEqual(expect.arrayContaining(['run', 'cert', 'scan', 'mcp', 'connect', 'completion']));
    expect(bash('tlsmcp', 'cert', 'is')).toEqual(['issue']);
    expect(bash('tlsmcp', 'cert', 'issue', '--ty')).toEqual(['--type']);
    expect(bash('tlsmcp', 'cert', 'issue', '--type', '')).toEqual(['client', 'server']);
    expect(bash('tlsmcp', '--state', '/tmp/x', 'cert', 'li')).toEqual(['list']);
    expect(bash('tlsmcp', 'scan', '--lo')).toEqual(['--log-level', '--log-format']);
    expect(bash('tlsmcp', 'mcp', 'serve', '--transport', '')).toEqual(['stdio', 'http', 'sse']);
    expect(bash('tlsmcp', 'mcp', 'serve', '--address', '')).toEqual([]);
  });

  it('zsh: the same tree through compadd', () => {
    expect(zsh('tlsmcp', 'cert', '')).toEqual(['issue', 'list', 'info', 'revoke', 'renew']);
    expect(zsh('tlsmcp', 'cert', 'issue', '--type', '')).toEqual(['client', 'server']);
    expect(zsh('tlsmcp', 'cert', 'issue', '--csr', '')).toEqual(['<files>']);
    expect(zsh('tlsmcp', 'connect', '-')).toEqual(expect.arrayContaining(['--cert', '--key', '--ca', '--state', '--config', '--log-level', '--help']));
  });

  it('fish: complete -C offers subcommands, options and choices', () => {
    expect(fish('tlsmcp ')).toEqual(expect.arrayContaining(['run', 'cert', 'scan', 'completion']));
    expect(fish('tlsmcp cert ')).toEqual(expect.arrayContaining(['issue', 'list', 'info', 'revoke', 'renew']));
    expect(fish('tlsmcp cert issue --ty')).toEqual(['--type']);
    expect(fish('tlsmcp cert issue --type ')).toEqual(['client', 'server']);
    expect(fish('tlsmcp status --')).toEqual(expect.arrayContaining(['--json', '--state', '--config', '--log-level', '--help']));
  });

  it('refuses a shell it has no script for', async () => {
    const result = await cli(['completion', 'tcsh']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bash, zsh, fish|"bash", "zsh", "fish"/);
  });
});

describe('--help of every command', () => {
  it('lists its own options, the global options and one example', async () => {
    const { program } = await createProgram({ stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: REPO_ROOT }, []);
    const paths: { path: string[]; cmd: Command }[] = [];
    const walk = (cmd: Command, path: string[]) => {
      for (const sub of cmd.commands) {
        paths.push({ path: [...path, sub.name()], cmd: sub });
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(program, []);
    expect(paths.length).toBeGreaterThan(15);
    for (const { path, cmd } of paths) {
      const help = await cli([...path, '--help']);
      const where = `tlsmcp ${path.join(' ')} --help`;
      expect(help.code, where).toBe(0);
      for (const option of cmd.options) expect(help.stdout, `${where}: ${option.flags}`).toContain(option.long ?? option.short);
      expect(help.stdout, where).toMatch(/Global Options:[\s\S]*--state <dir>[\s\S]*--config <file>[\s\S]*--log-level <level>/);
      expect(help.stdout, where).toMatch(/\nExamples?:\n {2}\$ tlsmcp /);
    }
  });
});
