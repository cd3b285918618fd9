/**
 * Runs foreign TLS clients (openssl s_client, curl) as child processes and
 * collects what they printed and how they exited. No sleeps: each call
 * resolves when the process exits (bounded by a kill deadline).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssueResult } from '../../src/ca/types.js';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runProcess(command: string, args: string[], { input, timeoutMs = 15_000 }: { input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    if (input !== undefined) child.stdin.write(input);
    child.stdin.end();
  });
}

/** Writes a certificate and its key as PEM files; returns their paths. */
export function writeCertFiles(dir: string, name: string, cert: IssueResult): { cert: string; key: string } {
  const paths = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  writeFileSync(paths.cert, cert.certPem);
  writeFileSync(paths.key, cert.keyPem ?? '', { mode: 0o600 });
  return paths;
}
