/**
 * The renewal daemon in process, with a real CA in a temp dir and a movable
 * clock: nothing is renewed before renew_before; when due, a successor with
 * the same identity is issued and validated; the old certificate stays valid
 * for the overlap window and is revoked as superseded after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { createRenewDaemon } from '../../src/renew/daemon.js';
import { createCertificateAuthority } from '../../src/ca/index.js';
import { createTestPki, TEST_POLICY, type TestPki } from '../helpers/ca-fixture.js';

const DAY = 86_400_000;
let pki: TestPki;
beforeEach(async () => {
  pki = await createTestPki();
});
afterEach(() => pki.cleanup());

describe('renewal daemon', () => {
  it('renews when due, keeps the old certificate through the overlap, then revokes it as superseded', async () => {
    const config = parseConfig({ listen: '127.0.0.1:0', backend: '127.0.0.1:9', service_id: 'api', server_cert: { renew_before: '10d', overlap: '2d', ttl: '30d' } });
    const old = (await pki.server({ service: 'api', ttlMs: 30 * DAY })).record;
    let now = Date.now();
    // The CA and the daemon share one clock, as they do in a real process.
    const ca = createCertificateAuthority({ stateDir: pki.stateDir, policy: TEST_POLICY, clock: () => new Date(now) });
    const activated: string[] = [];
    const daemon = createRenewDaemon({ ca, config, logger: createSilentLogger(), clock: () => new Date(now), activate: async (s) => (activated.push(s), 'test') });

    expect(await daemon.checkOnce()).toEqual([expect.objectContaining({ service: 'api', result: 'ok', id: old.id })]);
    expect((await pki.ca.list()).length).toBe(1);

    now = Date.parse(old.not_after) - 9 * DAY; // inside renew_before
    const [outcome] = await daemon.checkOnce();
    expect(outcome).toMatchObject({ service: 'api', result: 'renewed', old_id: old.id, active_in: 'test' });
    expect(activated).toEqual(['api']);
    const successor = (await pki.ca.list()).find((c) => c.renewed_from === old.id)!;
    expect(successor).toMatchObject({ cn: old.cn, sans: old.sans, type: 'server' });
    expect((await pki.ca.get(old.id)).revoked).toBeUndefined();

    // Still inside the overlap window: the old one stays valid.
    now = Date.parse(successor.issued_at) + 1 * DAY;
    await daemon.checkOnce();
    expect((await pki.ca.get(old.id)).revoked).toBeUndefined();

    // Past it: revoked as superseded; the successor is untouched.
    now = Date.parse(successor.issued_at) + 2 * DAY + 1;
    await daemon.checkOnce();
    expect((await pki.ca.get(old.id)).revoked?.reason).toBe('superseded');
    expect((await pki.ca.get(successor.id)).revoked).toBeUndefined();
  });
});
