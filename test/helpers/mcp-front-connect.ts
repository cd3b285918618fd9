/**
 * Runs `tlsmcp connect` the way Claude Desktop would: `node bin/tlsmcp.js connect
 * URL --cert --key --ca` as a child process, driven by the SDK's stdio Client.
 * Keeps the child's stderr and any stdout line that was not JSON-RPC.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { IssueResult } from '../../src/ca/index.js';

export const TLSMCP_BIN = join(process.cwd(), 'bin', 'tlsmcp.js');

export interface CertFiles {
  cert: string;
  key: string;
  ca: string;
}

/** Writes a client certificate, its key (0600) and the CA under `dir`. */
export function writeCertFiles(dir: string, name: string, issued: IssueResult, caPem: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), ca: join(dir, `${name}-ca.pem`) };
  writeFileSync(files.cert, issued.certPem);
  writeFileSync(files.key, issued.keyPem!, { mode: 0o600 });
  chmodSync(files.key, 0o600);
  writeFileSync(files.ca, caPem);
  return files;
}

export interface ConnectSession {
  client: Client;
  stderr: () => string;
  /** Errors the stdio client hit reading stdout (a non-JSON-RPC line would land here). */
  protocolErrors: Error[];
  close(): Promise<void>;
}

export function connectArgs(url: string, files: CertFiles, extra: string[] = []): string[] {
  return [TLSMCP_BIN, 'connect', url, '--cert', files.cert, '--key', files.key, '--ca', files.ca, ...extra];
}

/** Spawns the bridge and connects an SDK Client to it (connect() may reject: see `stderr`). */
export function spawnConnect(url: string, files: CertFiles, extra: string[] = []): { session: ConnectSession; connected: Promise<void> } {
  const transport = new StdioClientTransport({ command: process.execPath, args: connectArgs(url, files, extra), stderr: 'pipe', cwd: process.cwd() });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'connect-test', version: '1.0.0' });
  const protocolErrors: Error[] = [];
  client.onerror = (err) => protocolErrors.push(err);
  const session: ConnectSession = {
    client,
    stderr: () => stderr,
    protocolErrors,
    close: () => client.close(),
  };
  return { session, connected: client.connect(transport) };
}
