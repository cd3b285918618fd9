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
    kind: z.enum(['connection', 'tool_call', 'mcp_request', 'cert', 'reload', 'revocation']),
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

export function createAuditLog(path: string, { enabled = true }: { enabled?: boolean } = {}): AuditLog {
  let stream: WriteStream | undefined;
  const open = () => {
    if (!stream) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    }
    return stream;
  };
  const flush = () =>
    new Promise<void>((resolve) => {
      if (!stream || stream.writableLength === 0) return resolve();
      stream.once('drain', () => resolve());
    });
  return {
    append(event) {
      if (!enabled) return;
      open().write(`${JSON.stringify(event)}\n`);
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
