/**
 * A stdio MCP backend: spawns `backend.command` (with `env` and `cwd`) through
 * the SDK's StdioClientTransport, one child per agent session so sessions share
 * no state and no ids need rewriting. The child gets the SDK's safe default
 * environment plus `backend.env`, never tlsmcp's whole environment. Its stderr
 * goes to the logger, line by line, never to our stdout.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../logger.js';
import { TlsmcpError } from '../errors.js';

export interface StdioBackendOptions {
  command: string[];
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  logger: Logger;
}

/** Returns a factory of fresh, unstarted stdio transports (one per call). */
export function createStdioBackendFactory(options: StdioBackendOptions): () => Transport {
  const [command, ...args] = options.command;
  if (!command) {
    throw new TlsmcpError('ERR_CONFIG_INVALID', 'backend.command: needs at least the program to run', {
      fix: 'set backend.command to e.g. ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv/data"]',
    });
  }
  return () => {
    const transport = new StdioClientTransport({
      command,
      args,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stderr: 'pipe',
    });
    const stderr = transport.stderr as Readable | null;
    if (stderr) {
      const lines = createInterface({ input: stderr, crlfDelay: Infinity });
      lines.on('line', (line) => options.logger.debug({ backend: command, stderr: line }, 'backend stderr'));
    }
    return transport;
  };
}
