/**
 * What server and client mode share about a listener's life: binding it, and
 * the set of live connections that a drain waits on until empty or deadline.
 */
import type { AddressInfo, Server } from 'node:net';
import type { WorkerSpec } from '../protocol/messages.js';

/** Binds `server` where the spec says; resolves with the real address (port 0 resolved). */
export async function bindListener(server: Server, spec: WorkerSpec): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // reusePort is ignored before Node 22.12; the supervisor only asks for it where it works.
    server.listen({ host: spec.listen.host, port: spec.listen.port, ...(spec.reuse_port ? { reusePort: true } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { host: spec.listen.host, port: (server.address() as AddressInfo).port };
}

export interface LiveSet<T> extends Iterable<T> {
  readonly size: number;
  add(item: T): void;
  delete(item: T): void;
  /**
   * Stops `server` accepting, waits until no connection is live or the deadline
   * passes, then cuts what is left with `destroy`; resolves with how many were cut.
   */
  drain(server: Server, deadlineMs: number, destroy: (item: T) => void): Promise<number>;
}

export function createLiveSet<T>(): LiveSet<T> {
  const items = new Set<T>();
  let idleWaiters: (() => void)[] = [];
  return {
    get size() {
      return items.size;
    },
    [Symbol.iterator]: () => items.values(),
    add: (item) => void items.add(item),
    delete(item) {
      items.delete(item);
      if (items.size === 0 && idleWaiters.length > 0) {
        for (const wake of idleWaiters) wake();
        idleWaiters = [];
      }
    },
    async drain(server, deadlineMs, destroy) {
      server.close();
      if (items.size === 0) return 0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
      ]);
      clearTimeout(timer);
      const forced = items.size;
      for (const item of [...items]) destroy(item);
      return forced;
    },
  };
}
