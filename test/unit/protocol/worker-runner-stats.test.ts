/**
 * An idle worker posts nothing: the 1 s stats tick sends only when an event is
 * pending or the stats changed since the last message (bench/PROFILE.md item 9).
 * Drives the real runner through an in-memory port with fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWorker, EMPTY_STATS, type WorkerKind } from '../../../src/protocol/worker-runner.js';
import type { FromWorker, ToWorker, WorkerSpec } from '../../../src/protocol/messages.js';
import { createWorkerLogger } from '../../../src/protocol/worker-log.js';

const spec: WorkerSpec = {
  name: 'api',
  mode: 'server',
  listen: { host: '127.0.0.1', port: 0 },
  protocol: 'tls13',
  backend: { host: '127.0.0.1', port: 1 },
  mtls: { mode: 'required' },
  limits: { dial_timeout: 1_000, idle_timeout: 1_000, handshake_timeout: 1_000, max_connections: 10, drain_timeout: 1_000 },
  audit: false,
  log_level: 'silent',
};

afterEach(() => vi.useRealTimers());

describe('worker runner stats', () => {
  it('sends stats only when they changed', async () => {
    vi.useFakeTimers();
    const sent: FromWorker[] = [];
    let onMessage: (value: unknown) => void = () => undefined;
    const port = { on: (_e: 'message', l: (v: unknown) => void) => (onMessage = l), postMessage: (v: unknown) => sent.push(v as FromWorker) };
    let stats = { ...EMPTY_STATS };
    const kind: WorkerKind = {
      name: 'test-worker',
      create: () => ({
        start: () => Promise.resolve({ address: { host: '127.0.0.1', port: 4 } }),
        reload: () => [],
        stats: () => stats,
        drain: () => Promise.resolve(0),
      }),
    };
    runWorker(port, kind, (level) => createWorkerLogger({ level, name: 'test-worker', sink: () => undefined }));
    onMessage({ type: 'start', spec, material: { certPem: '', keyPem: '', caPems: [] }, revoked: [], test_hooks: false } satisfies ToWorker);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((m) => m.type)).toEqual(['ready']);
    const statsMessages = () => sent.filter((m) => m.type === 'events').length;
    await vi.advanceTimersByTimeAsync(1_000);
    const afterFirstTick = statsMessages(); // the first tick reports the initial stats once
    await vi.advanceTimersByTimeAsync(10_000);
    expect(statsMessages()).toBe(afterFirstTick);
    stats = { ...stats, active: 1 };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(statsMessages()).toBe(afterFirstTick + 1);
    expect(sent.at(-1)).toMatchObject({ type: 'events', events: [], stats: { active: 1 } });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statsMessages()).toBe(afterFirstTick + 1);
  });
});
