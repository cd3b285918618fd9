/**
 * `npx tsx bench/micro.ts`: CPU cost of each piece of JavaScript tlsmcp runs per
 * connection, measured in this process on real objects (a certificate from
 * tlsmcp's own CA, the real schemas, audit log, metrics, policy), as CPU time
 * (process.cpuUsage, so a busy machine inflates it less than wall time would)
 * per call, best of 5 batches. Each line names the function on the hot path.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, createServer, type TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { createProxyMetrics } from '../src/admin/metrics.js';
import { identityOf, sanList } from '../src/core/identity.js';
import { createIdentityCache } from '../src/proxy/identity-cache.js';
import { compileIdentityPolicy as compilePolicy } from '../src/core/admission.js';
import { fromWorkerSchema, type ConnectionEvent } from '../src/protocol/messages.js';
import { createAuditLog } from '../src/state/audit-log.js';
import { issueMaterial } from './setup.js';

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** µs of CPU per call of `fn`, best of 5 batches of `n` calls. */
async function cost(n: number, fn: (i: number) => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let batch = 0; batch < 5; batch += 1) {
    const t0 = cpuNow();
    for (let i = 0; i < n; i += 1) {
      const r = fn(i);
      if (r instanceof Promise) await r;
    }
    best = Math.min(best, (cpuNow() - t0) / n);
  }
  return best;
}

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-micro-'));
const lines: [string, number][] = [];
const row = (label: string, us: number) => {
  lines.push([label, us]);
  process.stdout.write(`${us.toFixed(2).padStart(9)} µs  ${label}\n`);
};
try {
  const { tls } = await issueMaterial(dir);
  const der = new X509Certificate(tls.cert).raw;
  const spec = { mode: 'required', allowed_services: ['bench-client', 'other'] } as unknown as Parameters<typeof compilePolicy>[0];
  const policy = compilePolicy(spec);
  const openPolicy = compilePolicy({ mode: 'required' } as unknown as Parameters<typeof compilePolicy>[0]);
  const parseOnly = await cost(5_000, () => new X509Certificate(der));
  row('new X509Certificate(der) (parse only; the socket already holds the parsed X509)', parseOnly);
  const withIdentity = await cost(5_000, () => identityOf(new X509Certificate(der)));
  row('identity.ts identityOf(): subject + subjectAltName + serialNumber strings from OpenSSL, parsed in JS', withIdentity - parseOnly);
  const audited = await cost(5_000, () => {
    const c = new X509Certificate(der);
    return [sanList(identityOf(c)), c.fingerprint256];
  });
  row('server-proxy.ts identityFields() with audit detail: sanList() + fingerprint256', audited - withIdentity);
  const id = identityOf(new X509Certificate(der));
  row('policy.ts compiled policy(identity), allowed_services', await cost(200_000, () => policy(id)));
  row('policy.ts compiled policy(identity), no rules', await cost(200_000, () => openPolicy(id)));
  row("server-proxy.ts emit(): new Date().toISOString() + the event object", await cost(200_000, (i) => ({ time: new Date().toISOString(), result: 'accepted', peer: '127.0.0.1', peer_cn: 'bench-client', serial: id.serial, bytes_in: i, bytes_out: i, duration_ms: 3, handshake_s: 0.001 })));
  row('server-proxy.ts accept(): dial timer setTimeout + clearTimeout', await cost(200_000, () => clearTimeout(setTimeout(() => undefined, 5_000))));
  row('server-proxy.ts acceptedAt WeakMap set + get, performance.now() ×2', await cost(200_000, () => {
    const wm = new WeakMap<object, number>();
    const k = {};
    wm.set(k, performance.now());
    return performance.now() - wm.get(k)!;
  }));
  const event: ConnectionEvent = { time: new Date().toISOString(), result: 'accepted', peer: '127.0.0.1', peer_cn: 'bench-client', serial: id.serial, bytes_in: 31, bytes_out: 77, duration_ms: 3, handshake_s: 0.0012 };
  const batch = { type: 'events' as const, events: Array.from({ length: 256 }, () => ({ ...event })), stats: { active: 1, accepted: 2, rejected: 0, rejected_by_reason: {}, bytes_in: 5, bytes_out: 6 } };
  const parse = await cost(200, () => fromWorkerSchema.parse(batch));
  row('worker-runtime.ts send(): fromWorkerSchema.parse of an events batch, per event', parse / 256);
  row('worker-handle.ts on message: fromWorkerSchema.safeParse again on the main thread, per event', (await cost(200, () => fromWorkerSchema.safeParse(batch))) / 256);
  const { port1, port2 } = new MessageChannel();
  let got = 0;
  port2.on('message', () => (got += 1));
  const posted = await cost(50, async () => {
    const want = got + 1;
    port1.postMessage(batch);
    while (got < want) await new Promise((resolve) => setImmediate(resolve));
  });
  port1.close();
  row('postMessage of an events batch (structured clone + receive), per event', posted / 256);
  const metrics = createProxyMetrics();
  row('admin/metrics.ts connections() (prom-client counters + handshake histogram), per event', (await cost(200, () => metrics.connections('bench', batch.events))) / 256);
  const audit = createAuditLog(join(dir, 'audit.log'));
  row('supervisor.ts record() → audit-log.ts append(): spread + JSON.stringify + stream write, per event', await cost(20_000, () => audit.append({ kind: 'connection', service: 'bench', ...event })));
  await audit.flush();
  await audit.close();
  // On a live mTLS socket (in-process server and client, the same certificates): what the listener asks per connection.
  const material = await issueMaterial(join(dir, 'sock'));
  const server = createServer({ cert: readFileSync(material.material.certFile), key: readFileSync(material.material.keyFile), ca: [readFileSync(material.material.caFile)], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'secureConnection');
  const client = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: material.tls.ca, cert: material.tls.cert, key: material.tls.key });
  const [socket] = (await accepted) as [TLSSocket];
  row('TLSSocket.getPeerX509Certificate() (server-proxy.ts secureConnection)', await cost(20_000, () => socket.getPeerX509Certificate()));
  row('  … + identityOf() on it', await cost(20_000, () => identityOf(socket.getPeerX509Certificate()!)));
  const identities = createIdentityCache();
  row('  … through the listener\'s identity cache instead (src/proxy/identity-cache.ts, a repeat client)', await cost(20_000, () => identities.of(socket)));
  row('TLSSocket.getPeerCertificate(true) (the whole chain as JS objects; not used by the TCP proxy)', await cost(20_000, () => socket.getPeerCertificate(true)));
  row('TLSSocket.isSessionReused() + authorized', await cost(200_000, () => socket.isSessionReused() && socket.authorized));
  client.destroy();
  socket.destroy();
  server.close();
  const onPath = lines.filter(([label]) => !label.startsWith('new X509Certificate') && !label.includes('getPeerCertificate(true)') && !label.startsWith('  …') && !label.startsWith('identity.ts'));
  const total = onPath.reduce((a, [, us]) => a + Math.max(0, us), 0) + Math.max(0, lines.find(([l]) => l.startsWith('identity.ts'))?.[1] ?? 0);
  process.stdout.write(`${total.toFixed(2).padStart(9)} µs  tlsmcp's own per-connection work, worker and supervisor (the lines on its path: getPeerX509Certificate, identityOf, policy, event, timers, parse ×2, postMessage, metrics, audit)\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
