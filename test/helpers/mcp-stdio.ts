/**
 * The real `tlsmcp-mcp` bin for stdio tests: a temp state dir and config file,
 * and the command line to spawn it with (the SDK's StdioClientTransport or a
 * raw child process).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const MCP_BIN = join(REPO_ROOT, 'bin', 'tlsmcp-mcp.js');

export interface StdioFixture {
  dir: string;
  stateDir: string;
  configFile: string;
  /** `node bin/tlsmcp-mcp.js --state DIR --config FILE ...extra` */
  args(extra?: string[]): string[];
  /** The environment without TLSMCP_* overrides from the developer's shell. */
  env: Record<string, string>;
  cleanup(): void;
}

export function createStdioFixture(config: Record<string, unknown>): StdioFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-mcp-stdio-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'tlsmcp.yaml');
  writeFileSync(configFile, stringify(config));
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('TLSMCP_')));
  return {
    dir,
    stateDir,
    configFile,
    args: (extra = []) => [MCP_BIN, '--state', stateDir, '--config', configFile, ...extra],
    env,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
