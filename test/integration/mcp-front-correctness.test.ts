/**
 * The front never misroutes after a cancel or a backend restart, seen by a raw
 * Streamable HTTP client (undici fetch with a client certificate) that watches
 * every stream itself: which stream a message arrives on is the point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { IssueResult } from '../../src/ca/index.js';
import { createMtlsFetch, type MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startFrontFixture, type FrontFixture } from '../helpers/mcp-front-fixture.js';
import { SCRIPTED_BACKEND_PATH } from '../helpers/mcp-front-scripted-backend.js';
import { until } from '../helpers/mcp-front-wait.js';

type Message = { jsonrpc: '2.0'; id?: string | number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string } };

/** One SSE response body, read to its end: the messages seen and whether it ended. */
interface Stream {
  messages: Message[];
  ended: boolean;
  done: Promise<void>;
}

function readStream(res: Response): Stream {
  const stream: Stream = { messages: [], ended: false, done: Promise.resolve() };
  stream.done = (async () => {
    if (!res.body) return;
    if (!String(res.headers.get('content-type')).includes('text/event-stream')) {
      stream.messages.push((await res.json()) as Message);
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) stream.messages.push(JSON.parse(data) as Message);
        }
      }
    } catch {
      // Aborted by the test's close().
    }
  })().finally(() => (stream.ended = true));
  return stream;
}

/** A Streamable HTTP MCP client that keeps each stream apart. */
class RawClient {
  sessionId = '';
  standalone: Stream | undefined;
  private nextId = 1;
  private readonly aborts = new AbortController();
  constructor(
    private readonly mtls: MtlsFetch,
    private readonly url: string,
  ) {}

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}),
    };
  }

  async post(message: Message): Promise<Response> {
    return this.mtls.fetch(this.url, { method: 'POST', headers: this.headers(), body: JSON.stringify(message), signal: this.aborts.signal });
  }

  /** Sends a request; its own response stream. */
  async request(method: string, params: Record<string, unknown> = {}): Promise<{ id: number; stream: Stream }> {
    const id = this.nextId++;
    const res = await this.post({ jsonrpc: '2.0', id, method, params });
    expect(res.status).toBe(200);
    return { id, stream: readStream(res) };
  }

  async notify(method: string, params: Record<string, unknown> = {}): Promise<void> {
    const res = await this.post({ jsonrpc: '2.0', method, params });
    expect(res.status).toBe(202);
    await res.arrayBuffer();
  }

  async answer(id: string | number, result: Record<string, unknown>): Promise<void> {
    const res = await this.post({ jsonrpc: '2.0', id, result });
    expect(res.status).toBe(202);
    await res.arrayBuffer();
  }

  /** The response to a request, once its stream has it. */
  async call(method: string, params: Record<string, unknown> = {}): Promise<Message> {
    const { id, stream } = await this.request(method, params);
    await until(() => stream.messages.some((m) => m.id === id && (m.result || m.error)), 20_000, `answer to ${method}`);
    return stream.messages.find((m) => m.id === id && (m.result || m.error))!;
  }

  async initialize(capabilities: Record<string, unknown>): Promise<void> {
    const res = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities, clientInfo: { name: 'raw', version: '1.0.0' } },
    });
    expect(res.status).toBe(200);
    this.sessionId = res.headers.get('mcp-session-id') ?? '';
    const stream = readStream(res);
    await stream.done;
    expect(stream.messages[0]?.result?.protocolVersion).toBeTruthy();
    await this.notify('notifications/initialized');
  }

  async openStandalone(): Promise<Stream> {
    const res = await this.mtls.fetch(this.url, { method: 'GET', headers: { ...this.headers(), accept: 'text/event-stream' }, signal: this.aborts.signal });
    expect(res.status).toBe(200);
    this.standalone = readStream(res);
    return this.standalone;
  }

  close(): void {
    this.aborts.abort();
  }
}

const toolText = (message: Message) => ((message.result?.content as { text: string }[] | undefined)?.[0]?.text ?? message.error?.message) as string;
const logData = (stream: Stream | undefined) => (stream?.messages ?? []).filter((m) => m.method === 'notifications/message').map((m) => m.params?.data);

describe('MCP front correctness after a cancel and a backend restart (raw Streamable HTTP)', () => {
  let pki: TestPki;
  let fx: FrontFixture;
  let agent: IssueResult;
  const opened: { client: RawClient; mtls: MtlsFetch }[] = [];

  const connect = async (capabilities: Record<string, unknown> = {}) => {
    const mtls = createMtlsFetch({ certPem: agent.certPem, keyPem: agent.keyPem, caPem: pki.caPem });
    const client = new RawClient(mtls, `${fx.origin}/mcp`);
    opened.push({ client, mtls });
    await client.initialize(capabilities);
    return client;
  };

  const pidOf = async (client: RawClient) => toolText(await client.call('tools/call', { name: 'pid', arguments: {} }));

  /** Kills the session's backend and waits until a new one answers. */
  const killBackend = async (client: RawClient, pid: string) => {
    process.kill(Number(pid), 'SIGKILL');
    let next = pid;
    await until(
      async () => {
        const answer = await client.call('tools/call', { name: 'pid', arguments: {} });
        if (answer.result) next = toolText(answer);
        return answer.result !== undefined && next !== pid;
      },
      20_000,
      'backend restarted',
    );
    return next;
  };

  beforeAll(async () => {
    pki = await createTestPki();
    agent = await pki.client('agent');
    fx = await startFrontFixture(
      pki,
      { backend: { command: [process.execPath, '--import', 'tsx', SCRIPTED_BACKEND_PATH], cwd: process.cwd() } },
      { restart: { initialDelayMs: 10, maxDelayMs: 50, maxRestarts: 5, windowMs: 60_000 } },
    );
  });

  afterAll(async () => {
    for (const { client } of opened) client.close();
    await Promise.allSettled(opened.map(({ mtls }) => mtls.destroy()));
    await fx?.close();
    pki?.cleanup();
  });

  it('closes a cancelled call and sends later logs and roots/list on the standalone GET stream', async () => {
    const client = await connect({ roots: {} });
    const standalone = await client.openStandalone();
    const slow = await client.request('tools/call', { name: 'slow', arguments: {}, _meta: { progressToken: 'slow-1' } });
    await until(() => slow.stream.messages.some((m) => m.method === 'notifications/progress'), 20_000, 'progress of the slow call');

    await client.notify('notifications/cancelled', { requestId: slow.id, reason: 'user gave up' });
    await slow.stream.done;
    expect(slow.stream.messages.some((m) => m.id === slow.id)).toBe(false);

    const later = await client.call('tools/call', { name: 'later', arguments: { tag: 'after-cancel' } });
    expect(toolText(later)).toBe('answered');
    await until(() => standalone.messages.some((m) => m.method === 'roots/list'), 20_000, 'roots/list on the standalone stream');
    await until(() => logData(standalone).includes('later after-cancel'), 20_000, 'log on the standalone stream');
    const roots = standalone.messages.find((m) => m.method === 'roots/list')!;
    await client.answer(roots.id!, { roots: [] });

    await fx.auditLog.flush();
    const events = await fx.auditLog.read({ kind: 'mcp_request' });
    const cancelled = events.find((e) => e.session === client.sessionId && e.tool === 'slow');
    expect(cancelled).toMatchObject({ outcome: 'cancelled', reason: 'cancelled by the client: user gave up' });
  });

  it('drops a late answer to a killed backend, tells the client the request was cancelled, and the new backend gets only its own answer', async () => {
    const client = await connect({ elicitation: {} });
    const standalone = await client.openStandalone();
    const firstPid = await pidOf(client);

    const first = await client.request('tools/call', { name: 'elicit', arguments: {} });
    await until(() => standalone.messages.some((m) => m.method === 'elicitation/create'), 20_000, 'first elicitation');
    const stale = standalone.messages.find((m) => m.method === 'elicitation/create')!;

    await killBackend(client, firstPid);
    await first.stream.done;
    expect(toolText(first.stream.messages.find((m) => m.id === first.id)!)).toMatch(/not answered/);
    await until(
      () => standalone.messages.some((m) => m.method === 'notifications/cancelled' && m.params?.requestId === stale.id),
      20_000,
      'notifications/cancelled for the dead backend’s elicitation',
    );

    const second = await client.request('tools/call', { name: 'elicit', arguments: {} });
    await until(() => standalone.messages.filter((m) => m.method === 'elicitation/create').length === 2, 20_000, 'second elicitation');
    const fresh = standalone.messages.filter((m) => m.method === 'elicitation/create')[1]!;
    expect(fresh.id).not.toBe(stale.id);

    await client.answer(stale.id!, { action: 'accept', content: { answer: 'stale' } });
    await client.answer(fresh.id!, { action: 'accept', content: { answer: 'fresh' } });
    await until(() => second.stream.messages.some((m) => m.id === second.id), 20_000, 'second elicit answered');
    expect(toolText(second.stream.messages.find((m) => m.id === second.id)!)).toBe('accept:fresh');
  });

  it('re-applies the log level after a restart', async () => {
    const client = await connect();
    const standalone = await client.openStandalone();
    expect((await client.call('logging/setLevel', { level: 'error' })).result).toBeDefined();
    await client.call('tools/call', { name: 'log', arguments: { tag: 'before' } });
    await until(() => logData(standalone).includes('error before'), 20_000, 'error log before the restart');

    await killBackend(client, await pidOf(client));
    await client.call('tools/call', { name: 'log', arguments: { tag: 'after' } });
    await until(() => logData(standalone).includes('error after'), 20_000, 'error log after the restart');
    expect(logData(standalone)).toEqual(['error before', 'error after']);
  });
});
