/**
 * The audit trail: one JSON object per line in the state dir's audit.log.
 * Connection events come from the proxy, tool-call and MCP request events from
 * the MCP server and the MCP front. Appends go through one buffered stream per
 * process ('a' mode: each line lands whole at the end, even with other writers).
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';

export const auditEventSchema = z
  .object({
    time: z.string(),
    kind: z.enum(['connection', 'tool_call', 'mcp_request', 'cert', 'reload', 'revocation', 'tool_definition_changed']),
    service: z.string(),
    result: z.string().optional(),
    reason: z.string().optional(),
    peer_cn: z.string().optional(),
    serial: z.string().optional(),
  })
  .catchall(z.unknown());

export type AuditEvent = z.infer<typeof auditEventSchema>;

export interface AuditLog {
  append(event: AuditEvent): void;
  /** The newest events first, optionally for one service or kind. */
  read(filter?: { service?: string; kind?: AuditEvent['kind']; limit?: number }): Promise<AuditEvent[]>;
  /** Flushes buffered lines to disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  enabled?: boolean;
  /** A failed append (disk full, dir gone) is reported here; the audit trail never crashes its writer. */
  onError?: (err: Error) => void;
}

export function createAuditLog(path: string, { enabled = true, onError = () => {} }: AuditLogOptions = {}): AuditLog {
  let stream: WriteStream | undefined;
  // Lines handed to the stream but not yet written, and who waits for them.
  // ('drain' is no signal: it only fires after the buffer overflowed.)
  let pending = 0;
  let waiters: Array<() => void> = [];
  const open = () => {
    if (!stream) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
      stream.on('error', (err) => {
        // A broken stream never calls back for the lines it holds: release whoever flushes.
        stream = undefined;
        pending = 1;
        written();
        pending = 0;
        onError(err);
      });
    }
    return stream;
  };
  const written = () => {
    pending -= 1;
    if (pending > 0) return;
    const done = waiters;
    waiters = [];
    for (const w of done) w();
  };
  const flush = () =>
    new Promise<void>((resolve) => {
      if (pending === 0) return resolve();
      waiters.push(resolve);
    });
  return {
    append(event) {
      if (!enabled) return;
      pending += 1;
      try {
        open().write(`${auditLine(event)}\n`, written);
      } catch (err) {
        written();
        onError(err as Error);
      }
    },
    async read(filter = {}) {
      await flush();
      if (!existsSync(path) || statSync(path).size === 0) return [];
      const limit = filter.limit ?? 100;
      const events: AuditEvent[] = [];
      const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line.trim()) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // a torn last line from a crash is skipped, not fatal
        }
        const event = auditEventSchema.safeParse(parsed);
        if (!event.success) continue;
        if (filter.service && event.data.service !== filter.service) continue;
        if (filter.kind && event.data.kind !== filter.kind) continue;
        events.push(event.data);
        if (events.length > limit) events.shift();
      }
      return events.reverse();
    },
    flush,
    async close() {
      if (!stream) return;
      const s = stream;
      stream = undefined;
      await new Promise<void>((resolve) => s.end(resolve));
    },
  };
}

/**
 * One event as one line. JSON escapes control characters already; U+2028/2029
 * are valid raw in JSON but split lines in many viewers, so they are escaped
 * too. Lossless: parsing the line gives back the exact strings.
 */
export function auditLine(event: AuditEvent): string {
  return JSON.stringify(event).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
