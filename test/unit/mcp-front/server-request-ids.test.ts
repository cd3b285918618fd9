/**
 * One id space per backend incarnation: the first passes ids through unchanged,
 * later ones are prefixed, answers to a dead incarnation are dropped and its open
 * requests become `notifications/cancelled` for the client.
 */
import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createServerRequestIds } from '../../../src/mcp-front/server-request-ids.js';

const request = (id: number) => ({ jsonrpc: '2.0', id, method: 'elicitation/create', params: {} }) as JSONRPCMessage & { id: number };
const answer = (id: string | number) => ({ jsonrpc: '2.0', id, result: { action: 'accept' } }) as JSONRPCMessage & { id: string | number };

describe('server-to-client request ids per backend incarnation', () => {
  it('passes the first incarnation through unchanged', () => {
    const ids = createServerRequestIds();
    expect(ids.outbound(request(1))).toMatchObject({ id: 1 });
    expect(ids.inbound(answer(1))).toMatchObject({ id: 1 });
  });

  it('drops a late answer to a dead incarnation and cancels its open requests', () => {
    const ids = createServerRequestIds();
    ids.outbound(request(1));
    expect(ids.retire('backend closed')).toEqual([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'backend closed' } },
    ]);
    const next = ids.outbound(request(1));
    expect(next).toMatchObject({ id: 'tlsmcp-b1-1' });
    expect(ids.inbound(answer(1))).toBeUndefined();
    expect(ids.inbound(answer('tlsmcp-b1-1'))).toMatchObject({ id: 1 });
  });

  it('leaves answers it does not know alone', () => {
    const ids = createServerRequestIds();
    expect(ids.inbound(answer(7))).toMatchObject({ id: 7 });
  });
});
