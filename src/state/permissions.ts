/**
 * File modes of what a state dir holds. A CA key that group or others can read
 * is refused (anyone who reads it can mint client certificates); a state dir
 * that group or others can write, and private keys (server and client keys,
 * PKCS#12 bundles, configured key_file) that they can read, are warned about
 * at start. Each finding carries the chmod that fixes it.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { statePaths } from './state-dir.js';

export interface PermissionFinding {
  level: 'error' | 'warning';
  path: string;
  /** Octal, e.g. "0644". */
  mode: string;
  message: string;
  fix: string;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** The refusal for a CA key with group/other bits, or undefined when its mode is safe (or it is absent). */
export function caKeyModeProblem(caKeyPath: string): TlsmcpError | undefined {
  if (process.platform === 'win32') return undefined;
  const mode = modeOf(caKeyPath);
  if (mode === undefined || (mode & 0o077) === 0) return undefined;
  return new TlsmcpError('ERR_CA_KEY_INSECURE', `the CA private key ${caKeyPath} has mode ${octal(mode)}: group or others can ${mode & 0o044 ? 'read' : 'write'} it`, {
    fix: `chmod 600 ${caKeyPath} (and check who may have copied it)`,
    details: { path: caKeyPath, mode: octal(mode) },
  });
}

function keyFilesIn(certsDir: string): string[] {
  let ids: string[];
  try {
    ids = readdirSync(certsDir);
  } catch {
    return [];
  }
  return ids.flatMap((id) => ['key.pem', 'bundle.p12'].map((f) => join(certsDir, id, f)));
}

/** Every permission problem of the state dir and the configured key files. */
export function inspectStatePermissions(stateDir: string, config?: Pick<Config, 'services'>): PermissionFinding[] {
  if (process.platform === 'win32') return [];
  const paths = statePaths(stateDir);
  const findings: PermissionFinding[] = [];
  const dirMode = modeOf(stateDir);
  if (dirMode !== undefined && (dirMode & 0o022) !== 0) {
    findings.push({
      level: 'warning',
      path: stateDir,
      mode: octal(dirMode),
      message: `the state dir ${stateDir} has mode ${octal(dirMode)}: group or others can write it (and so replace the inventory, revocations or CA certificate)`,
      fix: `chmod 700 ${stateDir}`,
    });
  }
  const caKey = caKeyModeProblem(paths.caKey);
  if (caKey) findings.push({ level: 'error', path: paths.caKey, mode: String(caKey.details?.mode), message: caKey.message, fix: caKey.fix ?? '' });
  const configured = (config?.services ?? []).flatMap((s) => [s.server_cert.key_file, s.backend.tls?.key_file].filter((f): f is string => typeof f === 'string'));
  for (const file of [...keyFilesIn(paths.certsDir), ...configured]) {
    const mode = modeOf(file);
    if (mode === undefined || (mode & 0o044) === 0) continue;
    findings.push({
      level: 'warning',
      path: file,
      mode: octal(mode),
      message: `the private key ${file} has mode ${octal(mode)}: group or others can read it`,
      fix: `chmod 600 ${file}`,
    });
  }
  return findings;
}

/**
 * Run at start: throws ERR_CA_KEY_INSECURE for a CA key others can read, logs
 * a warning (with its fix) for each other finding, and returns them.
 */
export function checkStatePermissions(stateDir: string, { logger, config }: { logger: Logger; config?: Pick<Config, 'services'> }): PermissionFinding[] {
  const findings = inspectStatePermissions(stateDir, config);
  const caKey = caKeyModeProblem(statePaths(stateDir).caKey);
  if (caKey) throw caKey;
  for (const f of findings) logger.warn({ event: 'insecure_permissions', path: f.path, mode: f.mode, fix: f.fix }, `${f.message}; fix: ${f.fix}`);
  return findings;
}
