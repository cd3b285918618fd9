/**
 * Watches a state dir for what other writers change: new audit lines (from
 * this process, its proxy workers or a separate `tlsmcp run`) and the CA's
 * inventory and revocations. Changes are coalesced: the first one in a quiet
 * period arms a timer, everything until it fires is reported together, so a
 * burst of connections gives one callback. New audit events are read from
 * where the previous read stopped.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { auditEventSchema, type AuditEvent } from '../state/audit-log.js';
import { statePaths } from '../state/state-dir.js';

export interface StateChanges {
  /** Audit events appended since the last report (only when audit tailing is on). */
  auditEvents: AuditEvent[];
  /** Something else in the state dir changed (inventory, revocations, certificates). */
  stateChanged: boolean;
}

export interface StateWatchOptions {
  stateDir: string;
  /** How long changes are gathered before one report. */
  debounceMs: number;
  onChanges: (changes: StateChanges) => Promise<void>;
  onError: (err: Error) => void;
}

export interface StateWatch {
  close(): void;
}

/** Reads the whole lines appended to a file since `offset`; a shorter file (rotated, truncated) restarts from 0. */
async function readAppended(path: string, offset: number): Promise<{ events: AuditEvent[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { events: [], offset: 0 };
  }
  if (size < offset) offset = 0;
  if (size === offset) return { events: [], offset };
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // A line still being written is left for the next read.
    const end = text.lastIndexOf('\n') + 1;
    const events: AuditEvent[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = auditEventSchema.safeParse(JSON.parse(line));
        if (parsed.success) events.push(parsed.data);
      } catch {
        // a torn line from a crashed writer is skipped
      }
    }
    return { events, offset: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    await file.close();
  }
}

/** Starts watching; audit events are reported from the end of the log as it is now. */
export async function watchState(options: StateWatchOptions): Promise<StateWatch> {
  const auditPath = statePaths(options.stateDir).auditLog;
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  let offset = await stat(auditPath).then((s) => s.size, () => 0);
  let auditDirty = false;
  let stateDirty = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const report = async () => {
    timer = undefined;
    const changes: StateChanges = { auditEvents: [], stateChanged: stateDirty };
    const readAudit = auditDirty;
    auditDirty = false;
    stateDirty = false;
    if (readAudit) {
      const read = await readAppended(auditPath, offset);
      offset = read.offset;
      changes.auditEvents = read.events;
    }
    if (!closed && (changes.auditEvents.length > 0 || changes.stateChanged)) await options.onChanges(changes);
  };
  const arm = () => {
    if (closed || timer || running) return;
    timer = setTimeout(() => {
      running = report()
        .catch((err: unknown) => options.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => {
          running = undefined;
          // What changed during the report gets its own.
          if (auditDirty || stateDirty) arm();
        });
    }, options.debounceMs);
  };

  const watcher: FSWatcher = watch(options.stateDir, { persistent: false }, (_event, filename) => {
    if (filename === 'audit.log') auditDirty = true;
    else if (filename === null) {
      auditDirty = true;
      stateDirty = true;
    } else stateDirty = true;
    arm();
  });
  watcher.on('error', (err) => options.onError(err));

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      watcher.close();
    },
  };
}
