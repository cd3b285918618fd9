/**
 * The CLI's only writer to stdout: human text or `--json`. Library code never
 * prints; commands return data and this module renders it. Never used by the
 * stdio MCP server, whose stdout carries JSON-RPC only.
 */
import { TlsmcpError, toTlsmcpError } from '../errors.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(io: CliIo, text = ''): void {
  io.stdout.write(`${text}\n`);
}

/** Renders rows as an aligned text table. */
export function printTable(io: CliIo, headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  printLine(io, fmt(headers));
  for (const row of rows) printLine(io, fmt(row));
}

/** Writes an error for a person (stderr) or, with --json, as a JSON object on stdout. */
export function reportError(io: CliIo, err: unknown, json: boolean): number {
  const e: TlsmcpError = toTlsmcpError(err);
  if (json) {
    printJson(io, { error: e.toJSON() });
  } else {
    io.stderr.write(`tlsmcp: error ${e.code}: ${e.describe()}\n`);
  }
  return e.code === 'ERR_INTERNAL' ? 70 : 1;
}
