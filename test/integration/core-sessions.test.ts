/**
 * MCP session caps, the same on the MCP front and the remote MCP listener: a
 * client that never sends DELETE (many do not) does not lock itself out. At
 * mcp.max_sessions_per_identity its least recently active idle session is
 * closed to make room for the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResult } from '../../src/ca/types.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { postMcp, startCoreListeners, type CoreListeners } from '../helpers/core-listeners.js';

const PING = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });

describe('MCP session caps per identity (regression: 32 sessions without DELETE turned every request into a 429)', () => {
  let pki: TestPki;
  let listeners: CoreListeners;
  let agent: IssueResult;
  let other: IssueResult;
  beforeAll(async () => {
    pki = await createTestPki();
    agent = await pki.client('agent');
    other = await pki.client('other');
    listeners = await startCoreListeners(pki, {}, [], { maxSessionsPerIdentity: 2 });
  }, 60_000);
  afterAll(async () => {
    await listeners?.close();
    pki?.cleanup();
  });

  for (const kind of ['mcp-front', 'mcp-remote'] as const) {
    it(`${kind}: a third session evicts the identity's least recently active idle one, and other identities keep theirs`, async () => {
      const origin = kind === 'mcp-front' ? listeners.frontOrigin : listeners.remoteOrigin;
      const theirs = await postMcp(origin, pki.caPem, other);
      const first = await postMcp(origin, pki.caPem, agent);
      const second = await postMcp(origin, pki.caPem, agent);
      expect([theirs.status, first.status, second.status]).toEqual([200, 200, 200]);
      // Use the first again: the second is now the least recently active.
      expect((await postMcp(origin, pki.caPem, agent, PING, first.sessionId)).status).toBe(200);
      const third = await postMcp(origin, pki.caPem, agent);
      expect(third.status).toBe(200);
      expect((await postMcp(origin, pki.caPem, agent, PING, second.sessionId)).status).toBe(404);
      expect((await postMcp(origin, pki.caPem, agent, PING, first.sessionId)).status).toBe(200);
      expect((await postMcp(origin, pki.caPem, agent, PING, third.sessionId)).status).toBe(200);
      expect((await postMcp(origin, pki.caPem, other, PING, theirs.sessionId)).status).toBe(200);
    });
  }
});
