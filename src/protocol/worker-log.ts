/**
 * The worker threads' logger: JSON lines on fd 2 in the shape src/logger.ts writes
 * (level name, ISO `time`, `pid`, `name`, one `service` key, the log object, `msg`),
 * without loading pino into every worker (bench/PROFILE.md item 2: pino and its
 * streams cost each worker ~2.5 MB and a dozen modules). It covers what worker code
 * calls: the level methods with `(object, message)`, `(error, message)` or
 * `(message)`, `child()` and `level`. Lines are queued and written asynchronously,
 * in order; what is queued when the thread exits is written synchronously.
 */
import { write, writeSync } from 'node:fs';
import type { Logger } from '../logger.js';
import { REDACT_KEYS } from '../logger-keys.js';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type LevelName = keyof typeof LEVELS;
const REDACT = new Set<string>(REDACT_KEYS);

export interface WorkerLogOptions {
  level: string;
  name: string;
  /** Where whole lines go; default: fd 2, queued. Tests pass a collector. */
  sink?: (line: string) => void;
}

/** pino's `err` serializer, in short: type, message, stack, code. */
function serializeError(err: Error): Record<string, unknown> {
  const code = (err as NodeJS.ErrnoException).code;
  return { type: err.name, message: err.message, stack: err.stack, ...(code ? { code } : {}) };
}

/** The value as it goes on the line: errors serialized, secrets redacted at the top level and one level down. */
function clean(value: unknown, depth: number): unknown {
  if (value instanceof Error) return serializeError(value);
  if (depth > 1 || !value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = REDACT.has(k) ? '[redacted]' : clean(v, depth + 1);
  return out;
}

/** Queues lines and writes them to fd 2 one batch at a time, never blocking the thread. */
function stderrSink(): (line: string) => void {
  let queue: string[] = [];
  let writing = false;
  const next = () => {
    if (queue.length === 0) {
      writing = false;
      return;
    }
    const chunk = queue.join('');
    queue = [];
    write(2, chunk, () => next());
  };
  process.once('exit', () => {
    if (queue.length) writeSync(2, queue.join(''));
  });
  return (line) => {
    queue.push(line);
    if (!writing) {
      writing = true;
      setImmediate(next);
    }
  };
}

/** A logger for a worker thread, typed as the pino Logger that worker code takes (it uses the subset above). */
export function createWorkerLogger(options: WorkerLogOptions): Logger {
  const threshold = options.level === 'silent' ? Infinity : (LEVELS[options.level as LevelName] ?? LEVELS.info);
  const sink = options.sink ?? stderrSink();
  const head = { pid: process.pid, name: options.name };
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (level: LevelName) => (first?: unknown, ...rest: unknown[]) => {
      if (LEVELS[level] < threshold) return;
      let obj: Record<string, unknown> = {};
      let msg: unknown = first;
      if (first instanceof Error) {
        obj = { err: serializeError(first) };
        msg = rest[0] ?? first.message;
      } else if (first && typeof first === 'object') {
        obj = clean(first, 0) as Record<string, unknown>;
        msg = rest[0];
      }
      // One `service` key per line: the bound one wins over a repeat in the log object (src/logger-keys.ts).
      if ('service' in bindings && 'service' in obj) delete obj.service;
      const line: Record<string, unknown> = { level, time: new Date().toISOString(), ...head, ...bindings, ...obj };
      if (msg !== undefined) line.msg = typeof msg === 'string' ? msg : String(msg);
      let text: string;
      try {
        text = JSON.stringify(line);
      } catch {
        text = JSON.stringify({ level, time: line.time, ...head, ...bindings, msg: line.msg, log_error: 'unserializable log object' });
      }
      sink(`${text}\n`);
    };
    const logger = {
      level: options.level,
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
      silent: () => undefined,
      isLevelEnabled: (level: string) => (LEVELS[level as LevelName] ?? Infinity) >= threshold,
      bindings: () => ({ ...bindings }),
      child: (more: Record<string, unknown>) => {
        const own = { ...(clean(more, 0) as Record<string, unknown>) };
        if ('service' in bindings) delete own.service;
        return make({ ...bindings, ...own });
      },
      flush: () => undefined,
    };
    return logger as unknown as Logger;
  };
  return make({});
}
