/**
 * The worker side of the supervisor channel, shared by every worker type:
 * receive and validate messages, and the test-only crash hook.
 */
import type { Logger } from '../logger.js';
import type { ToWorker } from './messages.js';

export interface MessagePortLike {
  on(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(value: unknown): void;
  close?(): void;
}

/**
 * Calls `handle` with each message. The supervisor validates what it sends against
 * the zod schema before posting (src/supervisor/worker-handle.ts), so the worker only
 * checks the envelope and drops anything else (a version skew or a bug), without zod.
 */
export function onSupervisorMessages(port: MessagePortLike, logger: () => Logger | undefined, handle: (message: ToWorker) => Promise<void>): void {
  port.on('message', (value) => {
    const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') {
      logger()?.error({ event: 'bad_message' }, 'worker got a malformed message');
      return;
    }
    void handle(value as ToWorker);
  });
}

/** Test hook (honoured only when the worker was started with test_hooks): throw outside any handler. */
export function crashWorkerForTest(): void {
  setImmediate(() => {
    throw new Error('test hook: worker crash requested');
  });
}
