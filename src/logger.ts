/**
 * pino on fd 2. stdout belongs to the MCP protocol in stdio mode, so nothing in
 * tlsmcp logs there. Key material is redacted by path as a second line of defence:
 * the first is never putting it in a log object at all. JSON lines carry ISO
 * timestamps, level names and one `service` key; `format: pretty` renders them for
 * people through pino-pretty, in process (no transport thread), on the same stream.
 */
import { createRequire } from 'node:module';
import pino, { type Logger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

/** pino-pretty is loaded only when asked for: workers and JSON logging never pay for it. */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}
import { bindOnce, dropBoundKeys, REDACT_KEYS } from './logger-keys.js';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Defaults to fd 2. Tests pass a stream to read what was logged. */
  destination?: DestinationStream | NodeJS.WritableStream;
  name?: string;
  /** json (default) or pretty (human-readable lines, still on stderr). */
  format?: LogFormat;
}

export type LogFormat = 'json' | 'pretty';

const REDACT_PATHS = [...REDACT_KEYS, ...REDACT_KEYS.map((k) => `*.${k}`)];

export function createLogger(options: LoggerOptions = {}): Logger {
  const raw = options.destination ?? pino.destination({ fd: 2, sync: false });
  const destination =
    options.format === 'pretty'
      ? loadPretty()({ destination: raw as NodeJS.WritableStream, colorize: false, sync: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname' })
      : raw;
  const logger = pino(
    {
      name: options.name ?? 'tlsmcp',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names ("info"), not pino's numbers; one `service` key per line (./logger-keys.ts).
      // (pino-pretty reads pino's numbers, so the pretty form keeps them.)
      ...(options.format === 'pretty' ? {} : { formatters: { level: (label: string) => ({ level: label }) } }),
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
