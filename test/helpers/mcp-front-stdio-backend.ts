/**
 * A stdio MCP server for the front's supervision tests, run as a child process
 * (`node --import tsx test/helpers/mcp-front-stdio-backend.ts`). `crash` makes it
 * exit mid-request, as a buggy backend would; `pid` tells which child answered.
 * Importing this file starts nothing unless it is the process's entry point.
 */
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export const STDIO_BACKEND_PATH = new URL(import.meta.url).pathname;

export async function runStdioTestBackend(): Promise<void> {
  const server = new McpServer({ name: 'tlsmcp-crashy-backend', version: '1.0.0' });
  server.registerTool('pid', { description: 'The process id of this backend', inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: String(process.pid) }],
  }));
  server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('crash', { description: 'Exits without answering', inputSchema: {} }, async () => {
    process.exit(3);
  });
  await server.connect(new StdioServerTransport());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStdioTestBackend();
}
