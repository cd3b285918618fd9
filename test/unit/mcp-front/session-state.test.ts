/**
 * The session state a restarted backend gets back: the last log level and the
 * subscriptions still held, under the front's own request ids.
 */
import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createSessionState } from '../../../src/mcp-front/session-state.js';

const req = (id: number, method: string, params: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;

describe('session state replayed after a backend restart', () => {
  it('replays the last log level and the subscriptions not dropped', () => {
    const state = createSessionState();
    state.record(req(1, 'logging/setLevel', { level: 'info' }));
    state.record(req(2, 'logging/setLevel', { level: 'error' }));
    state.record(req(3, 'resources/subscribe', { uri: 'a://1' }));
    state.record(req(4, 'resources/subscribe', { uri: 'a://2' }));
    state.record(req(5, 'resources/unsubscribe', { uri: 'a://1' }));
    const replay = state.replay(1);
    expect(replay).toEqual([
      { jsonrpc: '2.0', id: 'tlsmcp-restore-1-1', method: 'logging/setLevel', params: { level: 'error' } },
      { jsonrpc: '2.0', id: 'tlsmcp-restore-1-2', method: 'resources/subscribe', params: { uri: 'a://2' } },
    ]);
    expect(state.isReplayAnswer('tlsmcp-restore-1-2')).toBe(true);
    expect(state.isReplayAnswer(2)).toBe(false);
  });

  it('replays nothing for a session that set nothing', () => {
    expect(createSessionState().replay(1)).toEqual([]);
  });
});
