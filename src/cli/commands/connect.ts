/**
 * `tlsmcp connect URL --cert FILE --key FILE --ca FILE`: a stdio MCP server that
 * forwards to a remote MCP endpoint over mutual TLS, for stdio-only clients such
 * as Claude Desktop. stdout is the MCP protocol; logs and errors go to stderr.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { createConnectBridge } from '../../connect/bridge.js';
import { TlsmcpError } from '../../errors.js';
import type { CliContext } from '../context.js';

interface ConnectOptions {
  cert: string;
  key: string;
  ca?: string;
  servername?: string;
  transport: 'auto' | 'streamable-http' | 'sse';
}

function readPem(cwd: string, file: string, flag: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${flag} ${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      fix: `point ${flag} at a PEM file, e.g. one written by \`tlsmcp cert issue --out DIR\``,
    });
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `URL "${text}" is not a URL`, { fix: 'use e.g. https://mcp.example.internal:8443/mcp' });
  }
  if (url.protocol !== 'https:') {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `URL ${url.href}: must be https:// (tlsmcp connect speaks mutual TLS)`, {
      fix: `use https://${url.host}${url.pathname}`,
    });
  }
  return url;
}

export function registerConnectCommand(program: Command, ctx: CliContext): void {
  program
    .command('connect')
    .description('stdio MCP server that forwards to a remote MCP endpoint over mTLS (Streamable HTTP, falling back to SSE)')
    .argument('<url>', 'remote MCP endpoint, e.g. https://host:8443/mcp (or /sse for a legacy SSE server)')
    .requiredOption('--cert <file>', 'client certificate (PEM)')
    .requiredOption('--key <file>', 'client private key (PEM)')
    .option('--ca <file>', 'CA certificate(s) to verify the server with (PEM; default: system roots)')
    .option('--servername <name>', 'name to verify on the server certificate, when it differs from the URL host')
    .addOption(new Option('--transport <kind>', 'remote transport').choices(['auto', 'streamable-http', 'sse']).default('auto'))
    .action(async (urlText: string, opts: ConnectOptions, cmd: Command) =>
      ctx.run(cmd, false, async () => {
        const url = parseUrl(urlText);
        const bridge = createConnectBridge({
          url,
          certPem: readPem(ctx.io.cwd, opts.cert, '--cert', 'client certificate'),
          keyPem: readPem(ctx.io.cwd, opts.key, '--key', 'client private key'),
          caPem: opts.ca ? readPem(ctx.io.cwd, opts.ca, '--ca', 'CA certificate') : undefined,
          servername: opts.servername,
          transport: opts.transport,
          stdin: process.stdin,
          stdout: ctx.io.stdout as Writable,
          logger: ctx.logger(cmd),
          onFatal: (message) => ctx.io.stderr.write(`tlsmcp connect: ${message}\n`),
        });
        await bridge.start();
        await bridge.done;
        return 0;
      }),
    );
}
