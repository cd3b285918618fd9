/**
 * Runs the real `tlsmcp` CLI (`node bin/tlsmcp.js ...`) as a child process, the
 * way a user or script does. A sandbox gives each test its own temp dir and
 * state dir; the child's environment is scrubbed of TLSMCP_* so nothing leaks
 * in from the machine running the tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_BIN = join(REPO_ROOT, 'bin', 'tlsmcp.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Extra environment; TLSMCP_* from the parent is dropped first. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Kills the child after this long (default 60s) so a hung CLI fails the test instead of the suite. */
  timeoutMs?: number;
  /** Another entry script, e.g. bin/tlsmcp-mcp.js. */
  bin?: string;
}

/** Runs the CLI with exactly these arguments. Never rejects on a non-zero exit. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TLSMCP_')) env[k] = v;
  Object.assign(env, options.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [options.bin ?? CLI_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface CliSandbox {
  /** The temp dir, removed by cleanup(). */
  dir: string;
  /** `<dir>/state`, passed as --state to every run(). */
  stateDir: string;
  /** Runs `tlsmcp --state <stateDir> ...args`. */
  run(args: string[], options?: RunCliOptions): Promise<CliResult>;
  /** Like run(), parsing stdout as JSON; throws with stderr when the exit code is not 0. */
  json<T = unknown>(args: string[], options?: RunCliOptions): Promise<T>;
  cleanup(): void;
}

export function createCliSandbox(prefix = 'tlsmcp-cli-'): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(dir, 'state');
  const run = (args: string[], options: RunCliOptions = {}) => runCli(['--state', stateDir, ...args], { cwd: dir, ...options });
  return {
    dir,
    stateDir,
    run,
    async json<T>(args: string[], options?: RunCliOptions): Promise<T> {
      const result = await run(args, options);
      if (result.code !== 0) throw new Error(`tlsmcp ${args.join(' ')} exited ${result.code}\n${result.stderr}${result.stdout}`);
      return JSON.parse(result.stdout) as T;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
