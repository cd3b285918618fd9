import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.js';
import { createFeedBroker } from '../../../src/hub/feed-broker.js';
import { hubConfigSchema, hubTtlPolicy } from '../../../src/hub/hub-config.js';
import { createHubService, type HubService } from '../../../src/hub/hub-service.js';
import { createHubCa } from '../../../src/hub/hub-state.js';
import { openSqliteStore } from '../../../src/hub/sqlite-store.js';
import type { HubStore } from '../../../src/hub/store.js';

let dir: string;
let store: HubStore;
let service: HubService;
const DAY = 86_400_000;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-svc-'));
  const config = hubConfigSchema.parse({});
  const ca = createHubCa(dir, config);
  await ca.init();
  store = openSqliteStore(join(dir, 'hub.db'));
  service = createHubService({ ca, store, broker: createFeedBroker(), policy: hubTtlPolicy(config), logger: createSilentLogger() });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const lifetime = (c: { not_before: string; not_after: string }) => Date.parse(c.not_after) - Date.parse(c.not_before) - 60_000;

describe('the Hub service policy TTL limits', () => {
  it('caps a request without ttl at the service policy and refuses a longer ttl, naming the field', async () => {
    await service.putPolicy('api', { client_max_ttl: '1d', server_max_ttl: '2d', allowed_services: [] });
    expect(lifetime(await service.issue({ type: 'client', service: 'api' }))).toBe(DAY);
    expect(lifetime(await service.issue({ type: 'server', service: 'api', sans: { dns: ['api.local'] } }))).toBe(2 * DAY);
    await expect(service.issue({ type: 'client', service: 'api', ttl: '3d' })).rejects.toMatchObject({ code: 'ERR_CERT_TTL', message: expect.stringContaining('ttl:') });
    // Another service is not bound by api's policy.
    expect(lifetime(await service.issue({ type: 'client', service: 'web', ttl: '3d' }))).toBe(3 * DAY);
  });

  it('keeps no copy of a key it generated', async () => {
    const issued = await service.issue({ type: 'client', service: 'api' });
    expect(issued.key_pem).toContain('PRIVATE KEY');
    const record = await service.get(issued.id);
    const { existsSync } = await import('node:fs');
    expect(record.files.key === undefined || !existsSync(record.files.key)).toBe(true);
  });
});
