/** Spawning the bench's child processes (TypeScript through tsx) and talking to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export function spawnChild(file: string, arg: unknown = {}, execArgv: string[] = []): ChildProcess {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return fork(path, [JSON.stringify(arg)], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next IPC message of a given type. */
export async function nextMessage<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no "${type}" message within ${timeoutMs}ms`));
    }, timeoutMs);
    const onMessage = (m: { type?: string }) => {
      if (m.type !== type) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`child exited (code ${code}) before "${type}"`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
