/**
 * The two Hub stores answer alike: one scenario (instances with and without
 * their optional fields, revocations, a policy, events, a webhook and its
 * delivery) runs against the embedded SQLite store and a real PostgreSQL
 * cluster, and every read gives the same records. Both map rows through
 * src/hub/store-rows.ts; this is what keeps the two from drifting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStore } from '../../src/hub/pg-store.js';
import { openSqliteStore } from '../../src/hub/sqlite-store.js';
import type { HubStore } from '../../src/hub/store.js';
import { createLogger } from '../../src/logger.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';

let cluster: PostgresCluster;
let dir: string;
const stores: HubStore[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-contract-'));
  cluster = await startPostgres();
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T = (n: number) => `2026-11-29T10:00:0${n}.000Z`;

/** The same writes on either store, then everything it reads back. */
async function scenario(store: HubStore) {
  await store.addInstance({ id: 'i1', service_id: 'api', cert_serial: 'aa01', cert_id: 'c1', server_cert_id: null, enrolled_at: T(1), last_seen: null, version: null, cert_not_after: T(9), sync_latency_ms: null, cursor: null });
  await store.addInstance({ id: 'i2', service_id: 'web', cert_serial: 'aa02', cert_id: 'c2', server_cert_id: 's2', enrolled_at: T(2), last_seen: null, version: null, cert_not_after: T(9), sync_latency_ms: null, cursor: null });
  await store.touchInstance('i2', { last_seen: T(3), version: '1.2.3', sync_latency_ms: 12.5, cursor: 4 });
  await store.rebindInstance('i1', { cert_serial: 'aa03', cert_not_after: T(8) });
  const first = await store.addRevocation({ serial: 'bb01', id: 'r1', reason: 'keyCompromise', revoked_at: T(4) });
  const again = await store.addRevocation({ serial: 'bb01', id: 'r1-again', reason: 'superseded', revoked_at: T(5) });
  await store.putPolicy('api', { allowed_services: ['web'] }, T(5));
  await store.putPolicy('api', { allowed_services: ['web', 'db'], client_max_ttl: '24h' }, T(6));
  await store.appendEvents('i2', [{ kind: 'handshake', time: T(1), result: 'refused', serial: 'bb01' }, { kind: 'connection', time: T(2), result: 'ok', service: 'web' }], T(7));
  await store.addWebhook({ id: 'w1', url: 'https://hooks.example/tlsmcp', secret: 'not-logged', created_at: T(1) });
  const delivery = await store.addDelivery('w1', first.seq, T(7));
  await store.updateDelivery(delivery, { status: 'failed', attempts: 2, last_error: 'HTTP 500', updated_at: T(8) });
  await store.addDelivery('w1', first.seq, T(8));
  return {
    first,
    again,
    instances: await store.listInstances(),
    bySerial: await store.instanceBySerial('aa03'),
    missing: await store.instanceBySerial('zz'),
    revocation: await store.revocation('bb01'),
    revocations: await store.revocationsSince(),
    feed: await store.feedSince(0),
    policy: await store.policy('api'),
    noPolicy: await store.policy('none'),
    events: await store.listEvents(),
    // The newest handshake, though a newer connection event exists: the kind is chosen before the limit.
    newestHandshake: await store.listEvents({ kind: 'handshake', limit: 1 }),
    webhooks: await store.listWebhooks(),
    deliveries: await store.listDeliveries(),
  };
}

describe('the SQLite and PostgreSQL Hub stores', () => {
  it('map every kind of row to the same records', async () => {
    const sqlite = openSqliteStore(join(dir, 'hub.db'));
    stores.push(sqlite);
    const pg = await openPgStore({ databaseUrl: await cluster.createDatabase('hub_contract'), logger: createLogger({ level: 'silent' }) });
    stores.push(pg);

    const [a, b] = [await scenario(sqlite), await scenario(pg)];
    expect(b).toEqual(a);

    expect(a.again).toEqual(a.first);
    expect(a.instances).toEqual([
      { id: 'i1', service_id: 'api', cert_serial: 'aa03', cert_id: 'c1', server_cert_id: null, enrolled_at: T(1), last_seen: null, version: null, cert_not_after: T(8), sync_latency_ms: null, cursor: null },
      { id: 'i2', service_id: 'web', cert_serial: 'aa02', cert_id: 'c2', server_cert_id: 's2', enrolled_at: T(2), last_seen: T(3), version: '1.2.3', cert_not_after: T(9), sync_latency_ms: 12.5, cursor: 4 },
    ]);
    expect(a.missing).toBeUndefined();
    expect(a.revocations).toEqual({ revocations: [{ serial: 'bb01', id: 'r1', reason: 'keyCompromise', revoked_at: T(4) }], cursor: 3 });
    expect(a.feed.map((e) => [e.seq, e.type])).toEqual([[1, 'revocation'], [2, 'policy'], [3, 'policy']]);
    expect(a.policy).toMatchObject({ service_id: 'api', version: 2, updated_at: T(6), policy: { allowed_services: ['web', 'db'], client_max_ttl: '24h' } });
    expect(a.noPolicy).toMatchObject({ service_id: 'none', version: 0, updated_at: null });
    expect(a.events.map((e) => [e.kind, e.instance_id, e.received_at])).toEqual([['connection', 'i2', T(7)], ['handshake', 'i2', T(7)]]);
    expect(a.newestHandshake.map((e) => [e.kind, e.serial])).toEqual([['handshake', 'bb01']]);
    expect(a.webhooks).toEqual([{ id: 'w1', url: 'https://hooks.example/tlsmcp', secret: 'not-logged', created_at: T(1) }]);
    expect(a.deliveries).toEqual([
      { id: 1, webhook_id: 'w1', seq: 1, status: 'failed', attempts: 2, last_error: 'HTTP 500', updated_at: T(8) },
      { id: 2, webhook_id: 'w1', seq: 1, status: 'pending', attempts: 0, last_error: null, updated_at: T(8) },
    ]);
  });
});
