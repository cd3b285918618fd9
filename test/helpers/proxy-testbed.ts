/**
 * The setup most listener tests share: two CAs (ours and a stranger's), a server
 * certificate from ours, an echo backend that counts its connections, and the
 * proxy under test, drained after each test. Fields are filled in beforeAll;
 * tests set `bed.proxy` to what they started.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTestPki, type TestPki } from './ca-fixture.js';
import { startEchoBackend, type CountingBackend } from './proxy-backend.js';
import type { RunningProxy } from './proxy-fixture.js';
import type { IssueResult } from '../../src/ca/types.js';

export interface ProxyTestBed {
  pki: TestPki;
  otherPki: TestPki;
  server: IssueResult;
  backend: CountingBackend;
  proxy: RunningProxy | undefined;
}

export function useProxyTestBed(): ProxyTestBed {
  const bed = { proxy: undefined } as ProxyTestBed;
  beforeAll(async () => {
    [bed.pki, bed.otherPki] = await Promise.all([createTestPki(), createTestPki()]);
    bed.server = await bed.pki.server();
    bed.backend = await startEchoBackend();
  });
  afterAll(async () => {
    await bed.backend.close();
    bed.pki.cleanup();
    bed.otherPki.cleanup();
  });
  afterEach(async () => {
    await bed.proxy?.service.drain(0);
    bed.proxy = undefined;
  });
  return bed;
}
