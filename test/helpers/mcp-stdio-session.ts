/**
 * An SDK Client connected to a spawned `tlsmcp-mcp` (bin/tlsmcp-mcp.js) over
 * stdio, with the capabilities a test wants to declare (elicitation...).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { REPO_ROOT, type StdioFixture } from './mcp-stdio.js';

export interface StdioSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Reads a resource and parses its JSON text. */
  read<T = unknown>(uri: string): Promise<T>;
  close(): Promise<void>;
}

export async function openStdioSession(fx: StdioFixture, capabilities: ClientCapabilities = {}, setup?: (client: Client) => void): Promise<StdioSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: fx.args(), cwd: REPO_ROOT, env: fx.env, stderr: 'pipe' });
  transport.stderr?.on('data', () => undefined); // logs go there; drain them
  const client = new Client({ name: 'stdio-test', version: '0.0.0' }, { capabilities });
  setup?.(client);
  await client.connect(transport);
  return {
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async read<T>(uri: string) {
      const res = await client.readResource({ uri });
      const first = res.contents[0];
      if (!first || !('text' in first)) throw new Error(`${uri} returned no text`);
      return JSON.parse(first.text) as T;
    },
    close: () => client.close(),
  };
}
