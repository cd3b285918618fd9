/**
 * run/runtime.json in the state dir: written by a running sidecar (pid, admin
 * address) so `tlsmcp status` and `tlsmcp reload` in another process can find
 * it. A file whose pid is gone is stale and treated as absent.
 */
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-write.js';
import { statePaths } from '../state/state-dir.js';

export const runtimeInfoSchema = z.object({
  pid: z.number().int(),
  started_at: z.string(),
  /** host:port of the admin endpoint, or null when admin.enabled is false. */
  admin: z.object({ host: z.string(), port: z.number() }).nullable(),
  config_file: z.string().nullable(),
  services: z.array(z.object({ name: z.string(), listen: z.string() })),
});
export type RuntimeInfo = z.infer<typeof runtimeInfoSchema>;

export function writeRuntimeFile(stateDir: string, info: RuntimeInfo): void {
  writeFileAtomic(statePaths(stateDir).runtimeFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running sidecar's info, or undefined when none is running. */
export function readRuntimeFile(stateDir: string): RuntimeInfo | undefined {
  let raw: string;
  try {
    raw = readFileSync(statePaths(stateDir).runtimeFile, 'utf8');
  } catch {
    return undefined;
  }
  let parsed;
  try {
    parsed = runtimeInfoSchema.safeParse(JSON.parse(raw));
  } catch {
    return undefined;
  }
  if (!parsed.success || !alive(parsed.data.pid)) return undefined;
  return parsed.data;
}

/** Removes the file if it is ours (a newer sidecar may have replaced it). */
export function removeRuntimeFile(stateDir: string, pid: number): void {
  const path = statePaths(stateDir).runtimeFile;
  try {
    const current = runtimeInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (current.success && current.data.pid !== pid) return;
    rmSync(path, { force: true });
  } catch {
    // already gone
  }
}
