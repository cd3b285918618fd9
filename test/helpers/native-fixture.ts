/**
 * The native data path for tests: the same RunningProxy shape as
 * ./proxy-fixture.ts, built on src/native/native-proxy.ts, and a wait until
 * the listener holds no connection at all.
 */
import { createSilentLogger } from '../../src/logger.js';
import { createRevocationFeed } from '../../src/core/revocation.js';
import { createNativeProxy } from '../../src/native/native-proxy.js';
import type { NativeAddon } from '../../src/native/addon.js';
import type { ConnectionEvent, TlsMaterial, WorkerSpec } from '../../src/protocol/messages.js';
import type { RunningProxy } from './proxy-fixture.js';

export async function startNativeProxy(spec: WorkerSpec, material: TlsMaterial, revoked: string[] = [], addon?: NativeAddon): Promise<RunningProxy> {
  const events: ConnectionEvent[] = [];
  const revocations = createRevocationFeed(revoked);
  const service = createNativeProxy({ spec: { ...spec, data_path: 'native' }, material, revocations, logger: createSilentLogger(), onEvent: (e) => events.push(e), ...(addon ? { addon } : {}) });
  const { port } = await service.listen();
  return { service, port, events, revocations };
}
