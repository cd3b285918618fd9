/**
 * The PostgreSQL Hub store against a real throwaway cluster: migrations run
 * once however many replicas start, the HubStore contract (tokens once,
 * revocations once, feed order), and the replica fan-out: another replica's
 * change reaches this one's subscribers, in feed order, also after its LISTEN
 * connection was killed.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedBroker } from '../../src/hub/feed-broker.js';
import { PG_MIGRATIONS } from '../../src/hub/migrations/postgres.js';
import { migratePg, openPgStore, redactDatabaseUrl, type PgHubStore } from '../../src/hub/pg-store.js';
import { createReplicaFanout } from '../../src/hub/replica-fanout.js';
import type { FeedEntry, Revocation } from '../../src/hub/types.js';
import { createLogger } from '../../src/logger.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { waitFor } from '../helpers/proxy-wait.js';

let cluster: PostgresCluster;
let url: string;
const stores: PgHubStore[] = [];
let logged = '';
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  }),
});

async function open(listen = true): Promise<PgHubStore> {
  const store = await openPgStore({ databaseUrl: url, logger, listen });
  stores.push(store);
  return store;
}

const rev = (serial: string): Revocation => ({ serial, id: `id-${serial}`, reason: 'keyCompromise', revoked_at: new Date().toISOString() });

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('hub_store');
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await cluster?.stop();
});

describe('the PostgreSQL Hub store', () => {
  it('applies each migration once when several replicas start together', async () => {
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    expect(a && b && c).toBeTruthy();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = (await client.query<{ version: number }>('SELECT version FROM hub_schema_migrations')).rows;
    await client.end();
    expect(rows.map((r) => Number(r.version))).toEqual([1]);
  });

  it('applies only the migrations a database lacks, in version order', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const next = [...PG_MIGRATIONS, { version: 3, name: 'three', sql: 'CREATE TABLE hub_test_v3 (x INTEGER)' }, { version: 2, name: 'two', sql: 'CREATE TABLE hub_test_v2 (x INTEGER)' }];
      expect(await migratePg(pool, next)).toEqual([2, 3]);
      expect(await migratePg(pool, next)).toEqual([]);
      // A failing migration leaves nothing half-applied and is not recorded.
      const broken = [...next, { version: 4, name: 'broken', sql: 'CREATE TABLE hub_test_v4 (x INTEGER); SELECT no_such_function()' }];
      await expect(migratePg(pool, broken)).rejects.toThrow(/no_such_function/);
      const tables = (await pool.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'hub_test_v4'")).rows[0] as { n: number };
      expect(tables.n).toBe(0);
      const versions = (await pool.query<{ version: number }>('SELECT version FROM hub_schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
      expect(versions).toEqual([1, 2, 3]);
    } finally {
      await pool.end();
    }
  });

  it('never shows the password of the database URL', () => {
    expect(redactDatabaseUrl(url)).not.toContain('test-only-password');
    expect(redactDatabaseUrl(url)).toContain('***');
  });

  it('consumes a token once, across replicas racing for it', async () => {
    const [a, b] = [stores[0]!, stores[1]!];
    const now = new Date();
    await a.createToken({ hash: 'h1', service_id: 'api', created_at: now.toISOString(), expires_at: new Date(now.getTime() + 60_000).toISOString() });
    const results = await Promise.all([a.consumeToken('h1', now.toISOString()), b.consumeToken('h1', now.toISOString())]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'used' });
  });

  it('stores a serial revoked through two replicas at once as one feed entry', async () => {
    const [a, b] = [stores[0]!, stores[1]!];
    const [x, y] = await Promise.all([a.addRevocation(rev('aa01')), b.addRevocation(rev('aa01'))]);
    expect(x.seq).toBe(y.seq);
    expect((await a.revocationsSince()).revocations.filter((r) => r.serial === 'aa01')).toHaveLength(1);
  });

  it("delivers every replica's changes to each replica's fan-out in feed order, without gaps", async () => {
    const [a, b] = [stores[0]!, stores[1]!];
    const localA = createFeedBroker();
    const fanoutA = await createReplicaFanout({ store: a, local: localA, logger, safetyIntervalMs: 60_000 });
    const seen: FeedEntry[] = [];
    fanoutA.subscribe((e) => seen.push(e));
    const start = fanoutA.position();
    // Concurrent writers on both replicas: revocations and policy changes.
    const writes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 5 === 0 ? (i % 2 ? a : b).putPolicy('api', { allowed_services: [`s${i}`] }, new Date().toISOString()) : (i % 2 ? a : b).addRevocation(rev(`bb${i.toString(16).padStart(2, '0')}`)),
      ),
    );
    const last = Math.max(...writes.map((w) => w.seq));
    await waitFor(() => fanoutA.position() >= last, { timeoutMs: 5_000, what: 'the fan-out to reach the last write' });
    expect(seen.map((e) => e.seq)).toEqual((await a.feedSince(start)).map((e) => e.seq));
    expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((p, q) => p - q));
    expect(new Set(seen.map((e) => e.seq)).size).toBe(40);
    fanoutA.close();
  });

  it('catches up from its cursor after its LISTEN connection was killed', async () => {
    const a = await open();
    const b = stores[1]!;
    const fanout = await createReplicaFanout({ store: a, local: createFeedBroker(), logger, safetyIntervalMs: 60_000 });
    const seen: number[] = [];
    fanout.subscribe((e) => seen.push(e.seq));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const lostBefore = logged.split('hub_db_listen_lost').length;
    // Kill every LISTEN connection but the other replicas' is fine to lose too: they reconnect the same way.
    await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()");
    await client.end();
    await waitFor(() => logged.split('hub_db_listen_lost').length > lostBefore, { timeoutMs: 5_000, what: 'the store to notice the lost LISTEN connection' });
    // Written while (most likely) nobody listens: the read after re-LISTEN delivers it.
    const entry = await b.addRevocation(rev('cc01'));
    await waitFor(() => seen.includes(entry.seq), { timeoutMs: 10_000, what: 'the missed entry to arrive after re-LISTEN' });
    // And notifications work again afterwards.
    const next = await b.addRevocation(rev('cc02'));
    await waitFor(() => seen.includes(next.seq), { timeoutMs: 5_000, what: 'a notification after re-LISTEN' });
    fanout.close();
  });

  it('keeps events, instances and policies like the embedded store', async () => {
    const a = stores[0]!;
    await a.addInstance({ id: 'i1', service_id: 'api', cert_serial: 'dd01', cert_id: 'c1', server_cert_id: 's1', enrolled_at: '2026-01-01T00:00:00.000Z', last_seen: null, version: null, cert_not_after: '2027-01-01T00:00:00.000Z', sync_latency_ms: null, cursor: null });
    await a.touchInstance('i1', { last_seen: '2026-01-02T00:00:00.000Z', version: '1.2.3', cursor: 7, sync_latency_ms: 12.5 });
    expect(await a.instanceBySerial('dd01')).toMatchObject({ id: 'i1', version: '1.2.3', cursor: 7, sync_latency_ms: 12.5, server_cert_id: 's1' });
    expect(await a.appendEvents('i1', [{ kind: 'connection', time: 't1', result: 'ok' }, { kind: 'handshake', time: 't2', result: 'refused' }], 'now')).toBe(2);
    expect((await a.listEvents({ kind: 'handshake' })).map((e) => e.result)).toEqual(['refused']);
    const record = await stores[1]!.policy('api');
    expect(record.version).toBeGreaterThan(0);
    expect(record.policy.allowed_services).toHaveLength(1);
  });
});
