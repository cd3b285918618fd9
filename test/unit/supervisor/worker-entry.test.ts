import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveWorkerEntry } from '../../../src/supervisor/worker-entry.js';

describe('resolveWorkerEntry', () => {
  it('from the TypeScript source, runs workers/proxy-worker.ts through the tsx bootstrap', () => {
    const entry = resolveWorkerEntry('tcp')!;
    expect(entry.url.pathname.endsWith('/workers/dev-loader.mjs')).toBe(true);
    expect(existsSync(fileURLToPath(entry.url))).toBe(true);
    expect((entry.workerData as { tlsmcpEntry: string }).tlsmcpEntry.endsWith('/workers/proxy-worker.ts')).toBe(true);
  });

  it('from the build, points at dist/workers/*.js (undefined until it is built)', () => {
    const base = new URL('../../../dist/src/supervisor/worker-entry.js', import.meta.url).href;
    const entry = resolveWorkerEntry('tcp', base);
    const built = fileURLToPath(new URL('../../../dist/workers/proxy-worker.js', import.meta.url));
    if (existsSync(built)) expect(fileURLToPath(entry!.url)).toBe(built);
    else expect(entry).toBeUndefined();
  });

  it('runs the MCP front worker for protocol mcp', () => {
    const entry = resolveWorkerEntry('mcp')!;
    expect((entry.workerData as { tlsmcpEntry: string }).tlsmcpEntry.endsWith('/workers/mcp-front-worker.ts')).toBe(true);
  });

  it('has no worker for an unknown protocol', () => {
    expect(resolveWorkerEntry('udp')).toBeUndefined();
  });
});
