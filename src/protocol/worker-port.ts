/**
 * The worker side of the supervisor channel, shared by every worker type:
 * receive and validate messages, and the test-only crash hook.
 */
import type { Logger } from '../logger.js';
import { toWorkerSchema, type ToWorker } from './messages.js';

export interface MessagePortLike {
  on(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(value: unknown): void;
  close?(): void;
}

/** Calls `handle` with each valid message; logs and drops malformed ones (a version skew or a bug). */
export function onSupervisorMessages(port: MessagePortLike, logger: () => Logger | undefined, handle: (message: ToWorker) => Promise<void>): void {
  port.on('message', (value) => {
    const parsed = toWorkerSchema.safeParse(value);
    if (!parsed.success) {
      logger()?.error({ event: 'bad_message', issues: parsed.error.issues.slice(0, 3) }, 'worker got a malformed message');
      return;
    }
    void handle(parsed.data);
  });
}

/** Test hook (honoured only when the worker was started with test_hooks): throw outside any handler. */
export function crashWorkerForTest(): void {
  setImmediate(() => {
    throw new Error('test hook: worker crash requested');
  });
}
