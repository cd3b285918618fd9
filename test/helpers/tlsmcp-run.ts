/**
 * `tlsmcp run` as a real child process on a test PKI's state dir: writes the
 * config, waits for the runtime file, and exposes stderr (the JSON log lines),
 * the first service's port and the admin URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../../src/state/state-dir.js';
import { runProcess, type ProcessResult } from './proxy-foreign.js';
import { eventWithin, waitFor } from './proxy-wait.js';

export const TLSMCP_BIN = join(import.meta.dirname, '../../bin/tlsmcp.js');

export interface RunningTlsmcp {
  child: ChildProcess;
  /** The first service's port. */
  port: number;
  /** The admin endpoint's base URL ('' when the config turns it off). */
  admin: string;
  stderr(): string;
  /** Another `tlsmcp` invocation on the same state dir. */
  cli(...args: string[]): Promise<ProcessResult>;
  stop(): Promise<void>;
}

export interface StartTlsmcpRunOptions {
  /** Where the config file (tlsmcp.yaml) is written. */
  dir: string;
  stateDir: string;
  /** The config's lines. */
  config: string[];
  /** Global options before `run` (e.g. `--log-level info`). */
  args?: string[];
  /** How long to wait for the runtime file: a loaded 2-core machine took over 15 s to start `tlsmcp run` from source (tsx compiles the workers too). */
  startTimeoutMs?: number;
}

export async function startTlsmcpRun(o: StartTlsmcpRunOptions): Promise<RunningTlsmcp> {
  const configFile = join(o.dir, 'tlsmcp.yaml');
  writeFileSync(configFile, [...o.config, ''].join('\n'));
  let stderr = '';
  const child = spawn(process.execPath, [TLSMCP_BIN, '--state', o.stateDir, ...(o.args ?? []), 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TLSMCP_HOME: '' },
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = eventWithin(child, 'exit', 10_000);
      child.kill('SIGKILL');
      await exited;
    }
  };
  const runtimeFile = statePaths(o.stateDir).runtimeFile;
  try {
    const info = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`tlsmcp run exited early (${child.exitCode}):\n${stderr}`);
        return existsSync(runtimeFile) && (JSON.parse(readFileSync(runtimeFile, 'utf8')) as { admin?: { port: number } | null; services: { listen: string }[] });
      },
      { timeoutMs: o.startTimeoutMs ?? 60_000, what: 'the runtime file' },
    );
    return {
      child,
      port: Number(info.services[0]!.listen.split(':').pop()),
      admin: info.admin ? `http://127.0.0.1:${info.admin.port}` : '',
      stderr: () => stderr,
      cli: (...args) => runProcess(process.execPath, [TLSMCP_BIN, '--state', o.stateDir, ...args]),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
