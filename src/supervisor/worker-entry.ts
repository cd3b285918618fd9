/**
 * Which worker script runs a service, by protocol. From the TypeScript source
 * (tsx, vitest) the worker is a .ts file loaded through the tsx loader; from
 * the build it is the compiled .js beside dist/src. `protocol: mcp` services run
 * the MCP front worker. Node 20 ignores
 * `--import tsx` in a Worker's execArgv, so source runs go through
 * workers/dev-loader.mjs, which registers tsx in the thread first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerEntry {
  url: URL;
  execArgv: string[];
  workerData?: unknown;
}

const ENTRIES: Record<string, string | undefined> = {
  tcp: 'proxy-worker',
  mcp: 'mcp-front-worker',
};

/** The entry for a protocol, or undefined when no worker type serves it yet. */
export function resolveWorkerEntry(protocol: string, base: string = import.meta.url): WorkerEntry | undefined {
  const name = ENTRIES[protocol];
  if (!name) return undefined;
  // This file is src/supervisor/worker-entry.{ts,js}; workers/ sits two levels up
  // in the checkout (src/ → workers/) and in the build (dist/src/ → dist/workers/).
  const fromSource = base.endsWith('.ts');
  const url = new URL(`../../workers/${name}.${fromSource ? 'ts' : 'js'}`, base);
  if (!existsSync(fileURLToPath(url))) return undefined;
  if (!fromSource) return { url, execArgv: [] };
  return { url: new URL('../../workers/dev-loader.mjs', base), execArgv: [], workerData: { tlsmcpEntry: url.href } };
}
