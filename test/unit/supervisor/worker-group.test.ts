import { describe, expect, it } from 'vitest';
import { createWorkerGroup, supportsReusePort, workersPerListener } from '../../../src/supervisor/worker-group.js';
import type { WorkerHandle } from '../../../src/supervisor/worker-handle.js';
import type { WorkerSpec, WorkerStats } from '../../../src/protocol/messages.js';

describe('reusePort feature gate', () => {
  it('is on from Node 22.12 and 23.1, off on Node 20', () => {
    expect(supportsReusePort('20.20.2')).toBe(false);
    expect(supportsReusePort('22.11.0')).toBe(false);
    expect(supportsReusePort('22.12.0')).toBe(true);
    expect(supportsReusePort('23.0.0')).toBe(false);
    expect(supportsReusePort('23.1.0')).toBe(true);
    expect(supportsReusePort('24.0.0')).toBe(true);
  });

  it('runs one worker per listener where the port cannot be shared', () => {
    expect(workersPerListener('20.20.2', 8)).toBe(1);
    expect(workersPerListener('24.0.0', 8)).toBe(8);
  });
});

function fakeHandle(stats: Partial<WorkerStats>, log: string[], name: string): WorkerHandle {
  let spec = { listen: { host: '127.0.0.1', port: 0 } } as WorkerSpec;
  let address: { host: string; port: number } | undefined;
  return {
    state: 'ready',
    stateReason: undefined,
    get address() {
      return address;
    },
    threadId: 1,
    restarts: 1,
    startedAt: undefined,
    stats: { active: 1, accepted: 2, rejected: 1, rejected_by_reason: { policy: 1 }, bytes_in: 10, bytes_out: 20, ...stats },
    get spec() {
      return spec;
    },
    set spec(v) {
      spec = v;
    },
    async start() {
      log.push(`${name} start port ${spec.listen.port}`);
      address = { host: '127.0.0.1', port: spec.listen.port || 4242 };
    },
    reload: async () => ({ applied: ['certificate'] }),
    revoke: async () => 1,
    post: (m) => log.push(`${name} ${m.type}`),
    stop: async () => undefined,
  };
}

describe('createWorkerGroup', () => {
  it('binds the first worker, then the rest on the port it got, and sums what they report', async () => {
    const log: string[] = [];
    const group = createWorkerGroup([fakeHandle({}, log, 'a'), fakeHandle({ active: 3 }, log, 'b')]);
    await group.start();
    expect(log).toEqual(['a start port 0', 'b start port 4242']);
    expect(group.stats).toEqual({ active: 4, accepted: 4, rejected: 2, rejected_by_reason: { policy: 2 }, bytes_in: 20, bytes_out: 40 });
    expect(group.restarts).toBe(2);
    expect(await group.revoke(['ab'])).toBe(2);
    group.post({ type: 'crash' });
    expect(log.at(-1)).toBe('a crash');
  });
});
