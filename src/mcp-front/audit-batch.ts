/**
 * The MCP front's audit sink: events are serialised on the request path but
 * written in batches off it, one `write` of many lines every `flushMs` (or at
 * once past `maxBytes`), instead of one file write per request. Measured on
 * this project's bench, a file write per `tools/call` (fs.WriteStream, the
 * thread pool) cost more CPU than the whole relay of the call.
 *
 * Nothing is dropped on an orderly end: `close()` (the worker's drain) writes
 * what is queued and waits for it; `flush()` does the same without closing; and
 * if the process or worker thread exits without a close (process.exit, an
 * uncaught exception), an 'exit' hook writes the queue synchronously. What a
 * SIGKILL or power loss takes is at most one batch window, the same order as a
 * write still in the thread pool. Lines are appended ('a' mode, one write per
 * batch, batches in order), so other writers' lines stay whole; the format is
 * the audit log's own (src/state/audit-log.ts `auditLine`).
 */
import { close as closeFd, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { auditLine, type AuditEvent } from '../state/audit-log.js';

export interface BatchedAuditLogOptions {
  /** How long a line may wait before its batch is written, ms. */
  flushMs?: number;
  /** Write at once when this many bytes are queued. */
  maxBytes?: number;
  /** A failed write (disk full, dir gone) is reported here; the audit trail never crashes its writer. */
  onError?: (err: Error) => void;
  /** Where the exit hook is installed; the real `process` by default (a worker thread's own `process` in a worker). */
  exitHook?: { on(event: 'exit', listener: () => void): unknown; off(event: 'exit', listener: () => void): unknown };
}

export interface BatchedAuditLog {
  append(event: AuditEvent): void;
  /** Resolves once every line appended so far is written. */
  flush(): Promise<void>;
  /** Writes what is queued, then closes the file. Safe to call twice; later appends are dropped. */
  close(): Promise<void>;
}

export const DEFAULT_AUDIT_FLUSH_MS = 50;
const DEFAULT_MAX_BYTES = 64 * 1024;

export function createBatchedAuditLog(path: string, options: BatchedAuditLogOptions = {}): BatchedAuditLog {
  const flushMs = options.flushMs ?? DEFAULT_AUDIT_FLUSH_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const onError = options.onError ?? (() => undefined);
  const hook = options.exitHook ?? process;
  let fd: number | undefined;
  let queue: string[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The batch being written, if any: one write in flight at a time keeps batches in order. */
  let writing: Promise<void> | undefined;
  let closed = false;

  const openFile = (): number => {
    if (fd === undefined) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, 'a', 0o600);
    }
    return fd;
  };

  const take = (): string | undefined => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return undefined;
    const data = queue.length === 1 ? queue[0]! : queue.join('');
    queue = [];
    queued = 0;
    return data;
  };

  const writeAll = (handle: number, buffer: Buffer, done: (err: Error | null) => void, offset = 0) => {
    write(handle, buffer, offset, buffer.length - offset, null, (err, n) => {
      if (err) return done(err);
      if (offset + n < buffer.length) return writeAll(handle, buffer, done, offset + n);
      done(null);
    });
  };

  /** Writes one batch; resolves when it is on disk or failed (reported, never thrown). */
  const writeBatch = (data: string) =>
    new Promise<void>((resolve) => {
      let handle: number;
      try {
        handle = openFile();
      } catch (err) {
        onError(err as Error);
        return resolve();
      }
      writeAll(handle, Buffer.from(data, 'utf8'), (err) => {
        if (err) onError(err);
        resolve();
      });
    });

  /** Writes the queue after the batch in flight; resolves when every line queued before the call is written. */
  const drain = async (): Promise<void> => {
    while (writing) await writing;
    const data = take();
    if (data === undefined) return;
    writing = writeBatch(data);
    try {
      await writing;
    } finally {
      writing = undefined;
    }
  };

  /** The exit hook: what is queued goes out synchronously (a batch already in the thread pool is the kernel's). */
  const onExit = () => {
    const data = take();
    if (data === undefined) return;
    try {
      writeSync(openFile(), data);
    } catch (err) {
      onError(err as Error);
    }
  };
  hook.on('exit', onExit);

  return {
    append(event) {
      if (closed) return;
      const line = `${auditLine(event)}\n`;
      queue.push(line);
      queued += line.length;
      if (queued >= maxBytes) void drain();
      else if (!timer) {
        timer = setTimeout(() => void drain(), flushMs);
        timer.unref();
      }
    },
    flush: () => drain(),
    async close() {
      if (closed) return;
      closed = true;
      await drain();
      hook.off('exit', onExit);
      const handle = fd;
      fd = undefined;
      if (handle !== undefined) await new Promise<void>((resolve) => closeFd(handle, () => resolve()));
    },
  };
}
