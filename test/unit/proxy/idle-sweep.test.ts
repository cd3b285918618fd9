/**
 * The listener's one idle sweep (src/proxy/idle-sweep.ts) on real loopback
 * sockets, with the sweep's clock in the test's hands: a connection is cut only
 * after its timeout without bytes either way, and traffic in either direction
 * restarts the count.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdleSweep, type IdleSweep } from '../../../src/proxy/idle-sweep.js';
import { waitFor } from '../../helpers/proxy-wait.js';

let server: Server;
let sockets: Socket[];
let sweep: IdleSweep;
let clock: number;

async function pair(): Promise<{ near: Socket; far: Socket }> {
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const near = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(near, 'connect');
  const [far] = await accepted;
  sockets.push(near, far);
  return { near, far };
}

beforeEach(async () => {
  sockets = [];
  clock = 0;
  sweep = createIdleSweep({ now: () => clock });
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterEach(async () => {
  sweep.close();
  for (const s of sockets) s.destroy();
  server.close();
  await once(server, 'close');
});

/** Moves the sweep's clock to `t` and sweeps once. */
function sweepAt(t: number): void {
  clock = t;
  sweep.sweep();
}

describe('idle sweep', () => {
  it('cuts a connection without traffic once its timeout has passed, not before', async () => {
    const { near } = await pair();
    let cut = 0;
    sweep.track(near, 1_000, () => (cut += 1));
    sweepAt(999);
    expect(cut).toBe(0);
    sweepAt(1_000);
    expect(cut).toBe(1);
    expect(sweep.size).toBe(0);
    sweepAt(5_000);
    expect(cut).toBe(1);
  });

  it('counts bytes read and bytes written as traffic: either restarts the timeout', async () => {
    const { near, far } = await pair();
    let cut = 0;
    sweep.track(near, 1_000, () => (cut += 1));
    clock = 900;
    near.write('out');
    await waitFor(() => near.bytesWritten === 3);
    sweep.sweep(); // traffic seen at 900
    sweepAt(1_800);
    expect(cut).toBe(0);
    far.write('in');
    await waitFor(() => near.bytesRead === 2);
    sweep.sweep(); // traffic seen at 1800
    sweepAt(2_799);
    expect(cut).toBe(0);
    sweepAt(2_800);
    expect(cut).toBe(1);
  });

  it('forgets an untracked or destroyed socket', async () => {
    const a = await pair();
    const b = await pair();
    let cut = 0;
    sweep.track(a.near, 1_000, () => (cut += 1));
    sweep.track(b.near, 1_000, () => (cut += 1));
    sweep.untrack(a.near);
    b.near.destroy();
    clock = 10_000;
    sweep.sweep();
    expect(cut).toBe(0);
    expect(sweep.size).toBe(0);
  });

  it('runs its own timer while something is tracked (real clock, a short timeout)', async () => {
    const real = createIdleSweep();
    const { near } = await pair();
    let cut = false;
    real.track(near, 50, () => (cut = true));
    await waitFor(() => cut, { timeoutMs: 10_000, what: 'the sweep to cut the idle socket' });
    expect(real.size).toBe(0);
    real.close();
  });
});
