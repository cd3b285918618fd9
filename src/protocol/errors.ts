/**
 * Errors across the thread boundary: a worker turns whatever it caught into
 * `{ code, message, fix }`; the supervisor turns that back into a TlsmcpError
 * that keeps the worker's code (a tlsmcp code as is, an errno code such as
 * EADDRINUSE under ERR_WORKER with `details.code`) and its fix.
 */
import { ERROR_CODES, TlsmcpError, type ErrorCode } from '../errors.js';
import type { WireError } from './messages.js';

/** Fixes for the system errors a listener meets when it binds. */
function fixForErrno(code: string, where: string | undefined): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `another process holds ${where ?? 'the address'}: stop it or change listen.address`;
    case 'EACCES':
      return `binding ${where ?? 'the address'} needs privileges: choose a port above 1023 in listen.address`;
    case 'EADDRNOTAVAIL':
      return `${where ?? 'the address'} is not an address of this machine: change listen.address`;
    default:
      return undefined;
  }
}

/** Worker side: anything thrown, as it is sent to the supervisor. `where` names the listen address for errno fixes. */
export function toWireError(err: unknown, where?: string): WireError {
  if (err instanceof TlsmcpError) return { code: err.code, message: err.message, ...(err.fix ? { fix: err.fix } : {}) };
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(err);
  const code = typeof e?.code === 'string' ? e.code : 'ERR_WORKER';
  const fix = fixForErrno(code, where);
  return { code, message, ...(fix ? { fix } : {}) };
}

const isErrorCode = (code: string): code is ErrorCode => (ERROR_CODES as readonly string[]).includes(code);

/** Supervisor side: the worker's error, with `context` (e.g. `service "web" could not start`) in front. */
export function fromWireError(wire: WireError, context: string, defaultFix: string): TlsmcpError {
  const code: ErrorCode = isErrorCode(wire.code) ? wire.code : 'ERR_WORKER';
  return new TlsmcpError(code, `${context}: ${wire.message}`, {
    fix: wire.fix ?? defaultFix,
    details: { code: wire.code },
  });
}
