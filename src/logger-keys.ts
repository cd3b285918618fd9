/**
 * One `service` key per log line. A worker's logger binds `service` (a pino
 * child), and code under it also names the service in its log objects or binds
 * it again in a grandchild; pino would write each, so a line carried the key
 * two or three times (invalid for strict JSON readers, ambiguous for the rest).
 * These keep the first binding and drop the repeats.
 */
import type { Logger, LogFn } from 'pino';

/**
 * Keys whose values never reach a log line (the pino logger redacts them at the top
 * level and one level down; so does the workers' small writer, src/protocol/worker-log.ts).
 */
export const REDACT_KEYS = ['key', 'keyPem', 'privateKey', 'private_key', 'passphrase', 'auth_token', 'token'] as const;

/** Keys a line carries once: the nearest binding wins over a repeat in a log call or a grandchild. */
const ONCE = ['service'] as const;

const bound = (logger: Logger) => logger.bindings() as Record<string, unknown>;

/** pino `hooks.logMethod`: drops a `service` from the log object when the logger already binds one. */
export function dropBoundKeys(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const [first, ...rest] = args as unknown[];
  if (first && typeof first === 'object' && !(first instanceof Error) && ONCE.some((k) => k in first)) {
    const has = bound(this);
    const own = { ...(first as Record<string, unknown>) };
    for (const k of ONCE) if (k in own && has[k] !== undefined) delete own[k];
    return (method as (...a: unknown[]) => void).apply(this, [own, ...rest]);
  }
  return (method as (...a: unknown[]) => void).apply(this, args);
}

/** Makes `child()` of this logger and of all its descendants skip bindings an ancestor already holds. */
export function bindOnce(root: Logger): Logger {
  type ChildFn = (this: Logger, bindings: Record<string, unknown>, options?: object) => Logger;
  const original = root.child as unknown as ChildFn;
  const child: ChildFn = function (bindings, options) {
    const has = bound(this);
    const own = { ...bindings };
    for (const k of ONCE) if (k in own && has[k] !== undefined) delete own[k];
    return original.call(this, own, options);
  };
  root.child = child as unknown as Logger['child'];
  return root;
}
