/**
 * One revocation path: whichever way a certificate is revoked (the CLI in
 * another process, the MCP tool, a change to revocations.json), the process's
 * one revocation feed cuts its live connections on all three listener kinds
 * (a TCP service and an MCP front service, each in its worker thread, and the
 * remote MCP listener) within a second.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServeForTest } from '../helpers/core-serve.js';
import type { IssueResult } from '../../src/ca/types.js';
import { statePaths } from '../../src/state/state-dir.js';
import { writeFileAtomic } from '../../src/state/atomic-write.js';
import { runCli } from '../helpers/cli.js';
import { connectRemoteClient, type RemoteClient } from '../helpers/mcp-remote-client.js';
import type { CoreServe } from '../helpers/core-serve.js';

/** A TLS connection with a request answered on it, kept open; resolves `closed` when the server cuts it. */
async function liveConnection(port: number, caPem: string, cert: IssueResult, firstBytes: string, answered: (data: string) => boolean): Promise<{ socket: TLSSocket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost', cert: cert.certPem, key: cert.keyPem });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'secureConnect');
  let data = '';
  const got = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (answered(data)) resolve();
    });
    void closed.then(() => reject(new Error(`connection closed before an answer: ${data.slice(0, 200)}`)));
  });
  socket.write(firstBytes);
  await got;
  return { socket, closed };
}

const initialize = (): string => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'live', version: '0' } } });
  return `POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

describe('one revocation path: CLI, MCP tool and file change each cut a live connection on all three listener kinds within 1 s', () => {
  let dir: string;
  let serve: CoreServe;
  let admin: RemoteClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-core-rev-'));
    serve = await createMcpServeForTest(dir);
    const adminCert = await serve.ca.issue({ type: 'client', service: 'ops', cn: 'admin' });
    admin = await connectRemoteClient(serve.remoteOrigin, 'streamable-http', { ca: serve.caPem, cert: adminCert.certPem, key: adminCert.keyPem! });
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await serve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ways: { name: string; revoke: (cert: IssueResult) => Promise<void> }[] = [
    {
      name: 'the CLI (another process)',
      async revoke(cert) {
        const r = await runCli(['cert', 'revoke', cert.record.id, '--state', serve.stateDir]);
        expect(r.code, r.stderr).toBe(0);
      },
    },
    {
      name: 'the MCP tool',
      async revoke(cert) {
        const r = await admin.client.callTool({ name: 'tlsmcp_cert_revoke', arguments: { id: cert.record.id } });
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      },
    },
    {
      name: 'a change to revocations.json',
      async revoke(cert) {
        const path = statePaths(serve.stateDir).revocations;
        const file = JSON.parse(readFileSync(path, 'utf8')) as { generation: number; revoked: unknown[] };
        file.revoked.push({ serial: cert.record.serial, id: cert.record.id, at: new Date().toISOString(), reason: 'keyCompromise' });
        file.generation += 1;
        writeFileAtomic(path, JSON.stringify(file), { mode: 0o600 });
      },
    },
  ];

  for (const way of ways) {
    it(`revoked through ${way.name}`, async () => {
      const cert = await serve.ca.issue({ type: 'client', service: 'api', cn: `victim-${way.name.length}` });
      const tcp = await liveConnection(serve.tcpPort, serve.caPem, cert, 'ping', (d) => d === 'ping');
      const front = await liveConnection(serve.frontPort, serve.caPem, cert, initialize(), (d) => d.startsWith('HTTP/1.1 200'));
      const remote = await liveConnection(serve.remotePort, serve.caPem, cert, initialize(), (d) => d.startsWith('HTTP/1.1 200'));
      await way.revoke(cert);
      const started = performance.now();
      const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 1_000).unref());
      const outcome = await Promise.race([Promise.all([tcp.closed, front.closed, remote.closed]).then(() => 'cut' as const), deadline]);
      for (const c of [tcp, front, remote]) c.socket.destroy();
      expect(outcome, `cut after ${Math.round(performance.now() - started)} ms`).toBe('cut');
    });
  }
});
