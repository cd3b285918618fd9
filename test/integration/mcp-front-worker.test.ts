/**
 * The MCP front in a worker thread, driven with the supervisor's own messages
 * (src/supervisor/messages.ts): start → ready, an SDK Client calling a tool
 * through it, revoke → revoked (the agent's session cut), drain → drained, and
 * the audit events the worker appended.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig } from '../../src/config/load.js';
import { createMtlsFetch } from '../../src/connect/mtls-fetch.js';
import { mcpWorkerSpecOf } from '../../src/supervisor/worker-spec.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import { fromWorkerSchema, type FromWorker } from '../../src/protocol/messages.js';
import { workerSpecOf } from '../../src/supervisor/worker-spec.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startTestMcpBackend, type TestMcpBackend } from '../helpers/mcp-front-backend.js';
import { within } from '../helpers/mcp-front-wait.js';

const root = process.cwd();

function nextMessage<T extends FromWorker['type']>(worker: Worker, type: T): Promise<Extract<FromWorker, { type: T }>> {
  return within(15_000, `worker message "${type}"`, (resolve) => {
    const onMessage = (value: unknown) => {
      const message = fromWorkerSchema.parse(value);
      if (message.type !== type) return;
      worker.off('message', onMessage);
      resolve(message as Extract<FromWorker, { type: T }>);
    };
    worker.on('message', onMessage);
  });
}

describe('MCP front worker', () => {
  let pki: TestPki | undefined;
  let backend: TestMcpBackend | undefined;
  let worker: Worker | undefined;
  let client: Client | undefined;

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await worker?.terminate();
    await backend?.close();
    pki?.cleanup();
  });

  it('runs a front from supervisor messages: start, call, revoke, drain', async () => {
    pki = await createTestPki();
    backend = await startTestMcpBackend();
    const config = parseConfig({
      logging: { level: 'warn' },
      services: [{ name: 'files', listen: '127.0.0.1:0', protocol: 'mcp', backend: { url: backend.url }, authorization: [{ identity: { cn: 'agent' }, allow_tools: ['echo'] }] }],
    });
    const svc = config.services[0]!;
    const auditPath = join(pki.dir, 'audit.log');
    const server = await pki.server();
    const agent = await pki.client('agent');

    worker = new Worker(new URL('workers/dev-loader.mjs', `file://${root}/`), {
      workerData: { tlsmcpEntry: new URL('workers/mcp-front-worker.ts', `file://${root}/`).href },
      stdout: false,
      stderr: false,
    });
    const ready = nextMessage(worker, 'ready');
    worker.postMessage({
      type: 'start',
      spec: { ...workerSpecOf(svc, config), mcp: mcpWorkerSpecOf(svc, auditPath) },
      material: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [pki.caPem] },
      revoked: [],
      test_hooks: false,
    });
    const { address } = await ready;

    const mtls = createMtlsFetch({ certPem: agent.certPem, keyPem: agent.keyPem, caPem: pki.caPem });
    client = new Client({ name: 'worker-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`https://127.0.0.1:${address.port}/mcp`), { fetch: mtls.fetch }));
    const result = (await client.callTool({ name: 'echo', arguments: { text: 'from a worker' } })) as CallToolResult;
    expect((result.content[0] as { text: string }).text).toBe('from a worker');
    await expect(client.callTool({ name: 'delete_everything', arguments: {} })).rejects.toThrow(/lacks permission/);

    const revoked = nextMessage(worker, 'revoked');
    worker.postMessage({ type: 'revoke', id: 7, serials: [agent.record.serial] });
    expect(await revoked).toEqual({ type: 'revoked', id: 7, closed: 1 });

    const drained = nextMessage(worker, 'drained');
    worker.postMessage({ type: 'drain', deadline_ms: 1_000 });
    await drained;
    await mtls.destroy();
    await Promise.race([once(worker, 'exit'), worker.terminate()]);

    const events = await createAuditLog(auditPath).read({ kind: 'mcp_request', limit: 100 });
    expect(events.find((e) => e.tool === 'echo')).toMatchObject({ peer_cn: 'agent', outcome: 'ok', service: 'files' });
    expect(events.find((e) => e.tool === 'delete_everything')).toMatchObject({ outcome: 'denied' });
  });
});
