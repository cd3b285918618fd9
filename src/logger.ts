/**
 * pino on fd 2. stdout belongs to the MCP protocol in stdio mode, so nothing in
 * tlsmcp logs there. Key material is redacted by path as a second line of defence:
 * the first is never putting it in a log object at all. Lines carry ISO
 * timestamps, level names and one `service` key.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { bindOnce, dropBoundKeys } from './logger-keys.js';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Defaults to fd 2. Tests pass a stream to read what was logged. */
  destination?: DestinationStream | NodeJS.WritableStream;
  name?: string;
}

const REDACT_PATHS = [
  'key',
  'keyPem',
  'privateKey',
  'private_key',
  'passphrase',
  '*.key',
  '*.keyPem',
  '*.privateKey',
  '*.private_key',
  '*.passphrase',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  const logger = pino(
    {
      name: options.name ?? 'tlsmcp',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names ("info"), not pino's numbers; one `service` key per line (./logger-keys.ts).
      formatters: { level: (label) => ({ level: label }) },
      hooks: { logMethod: dropBoundKeys },
    },
    destination,
  );
  return bindOnce(logger);
}

/** A logger that drops everything, for tests and library callers that pass none. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
