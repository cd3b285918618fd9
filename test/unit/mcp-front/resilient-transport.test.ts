/**
 * The resilient transport over in-memory links to a fresh SDK McpServer each
 * time: a dropped link is replaced and the MCP handshake replayed (under an id of
 * its own, its answer swallowed), so the client's session carries on; the
 * restart budget ends it with a reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createSilentLogger } from '../../../src/logger.js';
import { createResilientTransport, type ResilientTransportOptions } from '../../../src/mcp-front/resilient-transport.js';
import { until } from '../../helpers/mcp-front-wait.js';

interface Backends {
  sides: InMemoryTransport[];
  seen: JSONRPCMessage[][];
  options: ResilientTransportOptions;
}

function backends(extra: Partial<ResilientTransportOptions> = {}): Backends {
  const sides: InMemoryTransport[] = [];
  const seen: JSONRPCMessage[][] = [];
  const options: ResilientTransportOptions = {
    logger: createSilentLogger(),
    label: 'unit backend',
    restart: { initialDelayMs: 1, maxDelayMs: 5, maxRestarts: 3, windowMs: 60_000 },
    create: () => {
      const [ours, theirs] = InMemoryTransport.createLinkedPair();
      const server = new McpServer({ name: `backend-${sides.length}`, version: '1.0.0' });
      server.registerTool('which', { inputSchema: {} }, async () => ({ content: [{ type: 'text', text: String(index) }] }));
      const index = sides.length;
      const log: JSONRPCMessage[] = [];
      seen.push(log);
      sides.push(theirs);
      void server.connect(theirs);
      const send = ours.send.bind(ours);
      ours.send = (m, o) => (log.push(m), send(m, o));
      return ours;
    },
    ...extra,
  };
  return { sides, seen, options };
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

async function connectClient(b: Backends) {
  const transport = createResilientTransport(b.options);
  const disruptions: string[] = [];
  transport.ondisrupt = (reason) => disruptions.push(reason);
  const client = new Client({ name: 'unit', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  const which = async () => ((await client.callTool({ name: 'which', arguments: {} })).content as { text: string }[])[0]!.text;
  return { transport, client, disruptions, which };
}

describe('createResilientTransport', () => {
  it('replaces a dropped link and replays the handshake under its own id', async () => {
    const b = backends();
    const { transport, disruptions, which } = await connectClient(b);
    expect(await which()).toBe('0');
    await b.sides[0]!.close();
    await until(() => transport.restarts === 1, 5_000, 'restart');
    expect(disruptions).toEqual(['unit backend closed; reconnecting']);
    expect(await which()).toBe('1');
    const replayed = b.seen[1]!.filter((m) => 'method' in m).map((m) => ('id' in m ? `${(m as { method: string }).method}#${String(m.id)}` : (m as { method: string }).method));
    expect(replayed.slice(0, 2)).toEqual(['initialize#tlsmcp-reinit-1', 'notifications/initialized']);
  });

  it('gives up after the restart budget and closes with the reason', async () => {
    const b = backends({ restart: { initialDelayMs: 1, maxDelayMs: 1, maxRestarts: 1, windowMs: 60_000 } });
    const { transport, client } = await connectClient(b);
    let closed = false;
    client.onclose = () => (closed = true);
    await b.sides[0]!.close();
    await until(() => transport.restarts === 1, 5_000, 'first restart');
    await b.sides[1]!.close();
    await until(() => closed, 5_000, 'closed after giving up');
    expect(transport.failure).toMatch(/gave up after 1 restarts within 60000 ms/);
  });

  it('refuses sends while reconnecting when asked not to queue', async () => {
    const b = backends({ queueWhileRestarting: false, restart: { initialDelayMs: 60_000, maxRestarts: 3, windowMs: 60_000 } });
    const { client } = await connectClient(b);
    await b.sides[0]!.close();
    await expect(client.callTool({ name: 'which', arguments: {} })).rejects.toThrow(/unit backend is reconnecting/);
  });
});
