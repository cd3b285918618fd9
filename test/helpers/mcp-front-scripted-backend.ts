/**
 * A stdio MCP server for the front's correctness tests, run as a child process
 * (`node --import tsx test/helpers/mcp-front-scripted-backend.ts`). It can log at
 * two levels (so a client's `logging/setLevel` shows), send a log and a
 * `roots/list` request after a call has been answered (messages tied to no
 * request), hold a call until it is cancelled, ask the client through
 * elicitation, and tell its pid so a test can kill it.
 * Importing this file starts nothing unless it is the process's entry point.
 */
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export const SCRIPTED_BACKEND_PATH = new URL(import.meta.url).pathname;

export async function runScriptedBackend(): Promise<void> {
  const server = new McpServer({ name: 'tlsmcp-scripted-backend', version: '1.0.0' }, { capabilities: { logging: {} } });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

  server.registerTool('pid', { description: 'The process id of this backend', inputSchema: {} }, async () => text(String(process.pid)));

  server.registerTool('log', { description: 'Logs `tag` at debug, then at error', inputSchema: { tag: z.string() } }, async ({ tag }) => {
    await server.sendLoggingMessage({ level: 'debug', data: `debug ${tag}` });
    await server.sendLoggingMessage({ level: 'error', data: `error ${tag}` });
    return text('logged');
  });

  server.registerTool('slow', { description: 'Reports progress once, then answers only when cancelled', inputSchema: {} }, async (_args, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
    return text('cancelled');
  });

  server.registerTool('later', { description: 'Answers, then logs `tag` and asks for the roots', inputSchema: { tag: z.string() } }, async ({ tag }) => {
    setImmediate(() => {
      void server.sendLoggingMessage({ level: 'error', data: `later ${tag}` });
      server.server.listRoots().catch(() => undefined);
    });
    return text('answered');
  });

  server.registerTool('elicit', { description: 'Asks the client for an answer and returns it', inputSchema: {} }, async () => {
    const result = await server.server.elicitInput({
      message: 'answer?',
      requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
    });
    return text(`${result.action}:${String(result.content?.answer ?? '')}`);
  });

  await server.connect(new StdioServerTransport());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runScriptedBackend();
}
