import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/hub/sqlite-store.js';
import type { HubStore } from '../../../src/hub/store.js';
import { hashToken } from '../../../src/hub/tokens.js';

let dir: string;
let store: HubStore;
const path = () => join(dir, 'hub.db');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-store-'));
  store = openSqliteStore(path());
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const rev = (serial: string) => ({ serial, id: serial.slice(0, 12), reason: 'keyCompromise' as const, revoked_at: '2026-11-29T10:00:00.000Z' });

describe('the SQLite Hub store', () => {
  it('is private to its owner (0600)', () => {
    expect(statSync(path()).mode & 0o777).toBe(0o600);
  });

  it('consumes a token once, refuses an expired one and one for another service', async () => {
    await store.createToken({ hash: hashToken('t1'), service_id: 'api', created_at: '2026-11-29T10:00:00.000Z', expires_at: '2026-11-29T11:00:00.000Z' });
    expect(await store.consumeToken(hashToken('t1'), '2026-11-29T10:30:00.000Z', 'web')).toEqual({ ok: false, reason: 'service' });
    expect(await store.consumeToken(hashToken('t1'), '2026-11-29T10:30:00.000Z', 'api')).toEqual({ ok: true, service_id: 'api' });
    expect(await store.consumeToken(hashToken('t1'), '2026-11-29T10:31:00.000Z')).toEqual({ ok: false, reason: 'used' });
    await store.createToken({ hash: hashToken('t2'), service_id: 'api', created_at: '2026-11-29T10:00:00.000Z', expires_at: '2026-11-29T11:00:00.000Z' });
    expect(await store.consumeToken(hashToken('t2'), '2026-11-29T11:00:00.000Z')).toEqual({ ok: false, reason: 'expired' });
    expect(await store.consumeToken(hashToken('nope'), '2026-11-29T10:00:00.000Z')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('orders revocations and policy changes in one feed; a repeated revocation keeps its first position', async () => {
    const a = await store.addRevocation(rev('aa01'));
    const p = await store.putPolicy('api', { allowed_services: ['web'] }, '2026-11-29T10:00:01.000Z');
    const b = await store.addRevocation(rev('bb02'));
    const again = await store.addRevocation(rev('aa01'));
    expect([a.seq, p.seq, b.seq]).toEqual([1, 2, 3]);
    expect(again.seq).toBe(1);
    expect(await store.revocationsSince(1)).toEqual({ revocations: [rev('bb02')], cursor: 3 });
    expect((await store.revocationsSince()).revocations.map((r) => r.serial)).toEqual(['aa01', 'bb02']);
    expect((await store.feedSince(1)).map((e) => e.type)).toEqual(['policy', 'revocation']);
    expect((await store.putPolicy('api', { allowed_services: [] }, '2026-11-29T10:00:02.000Z')).data.version).toBe(2);
  });

  it('keeps everything it answered across a reopen', async () => {
    await store.addRevocation(rev('cc03'));
    await store.putPolicy('api', { client_max_ttl: '24h', allowed_services: [] }, '2026-11-29T10:00:01.000Z');
    await store.close();
    store = openSqliteStore(path());
    expect((await store.revocationsSince()).revocations).toEqual([rev('cc03')]);
    expect((await store.policy('api')).policy.client_max_ttl).toBe('24h');
    expect(await store.lastSeq()).toBe(2);
  });
});
