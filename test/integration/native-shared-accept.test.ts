/**
 * The native listeners of one service's workers share one accept queue
 * (native/src/shared-listen.c) instead of one SO_REUSEPORT socket each: one
 * LISTEN socket for up to four listeners, a second group beyond that; a
 * listener that stops leaves the socket to the others (its queued connections
 * are not reset), and the last one closes it. Counted in /proc/net/tcp.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startNativeProxy } from '../helpers/native-fixture.js';
import { socketsInState } from '../helpers/proc-net.js';
import { useProxyTestBed } from '../helpers/proxy-testbed.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { serverMaterial, testSpec, tryEcho, type RunningProxy } from '../helpers/proxy-fixture.js';

const bed = useProxyTestBed();
const LISTEN = '0A';

/** `n` native listeners of one service, as its workers start them: the first resolves the port, the rest bind it. */
async function workers(n: number): Promise<RunningProxy[]> {
  const material = serverMaterial(bed.server, [bed.pki.caPem]);
  const first = await startNativeProxy({ ...testSpec({ backendPort: bed.backend.port }), reuse_port: true }, material);
  const rest: RunningProxy[] = [];
  for (let i = 1; i < n; i++) {
    const spec = testSpec({ backendPort: bed.backend.port });
    rest.push(await startNativeProxy({ ...spec, listen: { ...spec.listen, port: first.port }, reuse_port: true }, material));
  }
  return [first, ...rest];
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('native listeners of one service', () => {
  it('share one accept queue, keep it while any of them listens, and close it with the last', async () => {
    const [a, b] = await workers(2);
    const port = a!.port;
    expect(b!.port).toBe(port);
    expect(socketsInState(port, LISTEN)).toBe(1);
    const alice = await bed.pki.client('alice');
    expect((await tryEcho({ port, caPem: bed.pki.caPem, cert: alice })).echoed).toBe(true);
    await a!.service.drain(0);
    // The socket stays: the other listener accepts on it.
    expect(socketsInState(port, LISTEN)).toBe(1);
    expect((await tryEcho({ port, caPem: bed.pki.caPem, cert: alice })).echoed).toBe(true);
    await b!.service.drain(0);
    await waitFor(() => socketsInState(port, LISTEN) === 0, { what: 'the last listener to close the socket' });
    expect(await portIsFree(port)).toBe(true);
  });

  it('start a second queue beyond four listeners (a new connection wakes every listener of its queue)', async () => {
    const all = await workers(5);
    try {
      expect(socketsInState(all[0]!.port, LISTEN)).toBe(2);
    } finally {
      for (const p of all) await p.service.drain(0);
    }
    await waitFor(() => socketsInState(all[0]!.port, LISTEN) === 0, { what: 'both sockets closed' });
  });

  it('a single listener (one worker) keeps a socket of its own, which no other process can share', async () => {
    const material = serverMaterial(bed.server, [bed.pki.caPem]);
    const only = await startNativeProxy(testSpec({ backendPort: bed.backend.port }), material);
    try {
      expect(socketsInState(only.port, LISTEN)).toBe(1);
      expect(await portIsFree(only.port)).toBe(false);
    } finally {
      await only.service.drain(0);
    }
  });
});
