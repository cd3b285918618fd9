/**
 * `client_cert.auto_renew` in `tlsmcp run`'s supervisor: the client
 * certificate a client-mode service presents upstream comes from the local CA
 * and is renewed in the background by the client_cert keys, not the
 * server_cert ones. Off (the default) it is left alone — it used to be renewed
 * by server_cert.auto_renew/renew_before (30d), which for a shorter-lived
 * client certificate meant a new certificate at once, again and again. On, it
 * is renewed `client_cert.renew_before` ahead of expiry and the new one is
 * presented upstream.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import { createTestPki, TEST_POLICY, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';

let pki: TestPki | undefined;
let backend: CountingBackend | undefined;
const running: { supervisor: ProxySupervisor; auditLog: AuditLog }[] = [];

afterEach(async () => {
  for (const r of running.splice(0).reverse()) {
    await r.supervisor.close({ drainMs: 0 });
    await r.auditLog.close();
  }
  await backend?.close();
  pki?.cleanup();
});

/** A server-mode service `api` in front of an echo backend, and a client-mode `edge` dialing it with a local-CA client certificate. */
async function twoHops(clientCert: Record<string, unknown>, clientTtlMs?: number) {
  pki = await createTestPki(clientTtlMs ? { policy: { ...TEST_POLICY, client: { ...TEST_POLICY.client, default_ttl: clientTtlMs } } } : {});
  backend = await startEchoBackend();
  const server = await startSidecar(pki, sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}` }], { logging: { level: 'silent', audit: true } }));
  running.push(server);
  const config = sidecarConfig(
    pki,
    [{ name: 'edge', mode: 'client', listen: '127.0.0.1:0', backend: { address: `127.0.0.1:${server.supervisor.address('api')!.port}`, tls: { server_name: 'localhost' } } }],
    { client_cert: clientCert },
  );
  const client = await startSidecar(pki, config);
  running.push(client);
  const through = async (text: string) => {
    const socket = createConnection({ host: '127.0.0.1', port: client.supervisor.address('edge')!.port });
    socket.write(text);
    const [data] = (await eventWithin(socket, 'data', 5_000)) as [Buffer];
    socket.end();
    await eventWithin(socket, 'close', 5_000);
    return data.toString();
  };
  const edgeCerts = async () => (await pki!.ca.list({ service: 'edge', type: 'client' })).map((c) => c.serial);
  /** Serials the server side accepted, from the audit log. */
  const acceptedSerials = () =>
    readFileSync(statePaths(pki!.stateDir).auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { service?: string; result?: string; serial?: string })
      .filter((e) => e.service === 'api' && e.result === 'accepted')
      .map((e) => e.serial);
  return { through, edgeCerts, acceptedSerials, server };
}

describe('client_cert.auto_renew in the supervisor', () => {
  it('off (the default): the client certificate is issued once and not renewed by server_cert.renew_before', async () => {
    // The test CA's client certificates live one day; server_cert.renew_before is 30d.
    const hops = await twoHops({});
    expect(await hops.through('one')).toBe('one');
    await waitFor(() => hops.server.supervisor.status()[0]!.connections.accepted >= 1, { what: 'the server side accepting' });
    expect(await hops.through('two')).toBe('two');
    expect(await hops.edgeCerts()).toHaveLength(1);
  });

  it('on: renewed client_cert.renew_before ahead of expiry, and the new certificate is presented upstream', async () => {
    // 20 s client certificates renewed 15 s ahead: the first is due 5 s after it was issued.
    const hops = await twoHops({ auto_renew: true, renew_before: '15s' }, 20_000);
    expect(await hops.through('before')).toBe('before');
    const [first] = await hops.edgeCerts();
    await waitFor(async () => (await hops.edgeCerts()).some((s) => s !== first), { timeoutMs: 15_000, what: 'a renewed edge client certificate' });
    // Not before it was due: issued about 5 s after the first (X.509 times have whole seconds).
    const [a, b] = (await pki!.ca.list({ service: 'edge', type: 'client' })).sort((x, y) => Date.parse(x.not_before) - Date.parse(y.not_before));
    expect(Date.parse(b!.not_before) - Date.parse(a!.not_before)).toBeGreaterThanOrEqual(4_000);
    // New connections present the renewed certificate once the worker has it: poll with real connections.
    const presented = await waitFor(
      async () => {
        expect(await hops.through('after')).toBe('after');
        return hops.acceptedSerials().find((s) => s !== undefined && s !== first);
      },
      { timeoutMs: 10_000, what: 'the server side accepting the renewed certificate' },
    );
    expect(hops.acceptedSerials()[0]).toBe(first);
    expect(await hops.edgeCerts()).toContain(presented);
  });
});
