/**
 * backend.proxy_protocol: v2 on a TCP service: the backend learns the client's
 * address and verified identity. HAProxy (Debian's) as the receiving backend
 * logs the client address and port and the SPIFFE ID (fc_pp_unique_id: 2.6
 * has no fetch for the CN sub-TLV); a Node backend parsing the header checks
 * the TLS version, the CN and tlsmcp's TLV 0xE0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tlsConnect, type RunningProxy } from '../helpers/proxy-fixture.js';
import { decodeProxyHeaderV2, type DecodedProxyHeader } from '../helpers/proxy-protocol-decode.js';
import { eventWithin, waitFor } from '../helpers/proxy-wait.js';
import type { IssueResult } from '../../src/ca/types.js';

const SPIFFE = 'spiffe://tlsmcp.test/ns/default/sa/alice';

let pki: TestPki;
let server: IssueResult;
let alice: IssueResult;
let proxy: RunningProxy | undefined;

beforeAll(async () => {
  pki = await createTestPki();
  [server, alice] = await Promise.all([pki.server(), pki.client('alice', { uri: [SPIFFE] })]);
});

afterEach(async () => {
  await proxy?.service.drain(0);
  proxy = undefined;
});

afterAll(() => pki.cleanup());

/** Connects with alice's certificate, sends `ping`, resolves with what came back and the client's own port. */
async function pingThrough(port: number): Promise<{ reply: string; localPort: number }> {
  const socket = tlsConnect({ port, caPem: pki.caPem, cert: alice });
  await eventWithin(socket, 'secureConnect', 10_000);
  const localPort = socket.localPort!;
  let reply = '';
  socket.on('data', (d: Buffer) => {
    reply += d.toString();
    if (reply === 'ping') socket.end();
  });
  socket.write('ping');
  await eventWithin(socket, 'close', 10_000);
  return { reply, localPort };
}

describe('backend.proxy_protocol: v2', () => {
  it('a Node backend reads the client address, TLS version, CN and SPIFFE ID, then the client bytes', async () => {
    const headers: DecodedProxyHeader[] = [];
    const backend: Server = createServer((sock: Socket) => {
      let buf = Buffer.alloc(0);
      let header: DecodedProxyHeader | undefined;
      sock.on('data', (d: Buffer) => {
        if (header) return void sock.write(d);
        buf = Buffer.concat([buf, d]);
        header = decodeProxyHeaderV2(buf);
        if (!header) return;
        headers.push(header);
        const rest = buf.subarray(header.length);
        if (rest.length) sock.write(rest);
      });
      sock.on('end', () => sock.end());
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    try {
      const backendPort = (backend.address() as { port: number }).port;
      proxy = await startProxy(testSpec({ backendPort, proxy_protocol: 'v2' }), serverMaterial(server, [pki.caPem]));
      const { reply, localPort } = await pingThrough(proxy.port);
      expect(reply).toBe('ping');
      const h = headers[0]!;
      expect(h).toMatchObject({ command: 1, family: 0x11, source: { address: '127.0.0.1', port: localPort }, destination: { address: '127.0.0.1', port: proxy.port } });
      expect(h.ssl?.client).toBe(0x03);
      const sub = (type: number) => h.ssl?.subs.find((s) => s.type === type)?.value.toString();
      expect(sub(0x21)).toBe('TLSv1.3');
      expect(sub(0x22)).toBe('alice');
      expect(h.tlvs.find((t) => t.type === 0xe0)?.value.toString()).toBe(SPIFFE);
    } finally {
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    }
  });

  it('HAProxy with accept-proxy logs the client address and port and the SPIFFE ID', async () => {
    const echo: CountingBackend = await startEchoBackend();
    const haproxyPort = await freePort();
    const cfg = join(pki.dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        // Bounded so haproxy sizes its fd table from these, not from the
        // runner's open-files limit (a container's can be 2^30: startup then stalls).
        '  maxconn 64',
        '  fd-hard-limit 1024',
        '  log stdout format raw local0',
        'defaults',
        '  mode tcp',
        '  log global',
        '  option logasap',
        '  timeout connect 2s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend fe',
        `  bind 127.0.0.1:${haproxyPort} accept-proxy`,
        '  log-format "pp ci=%ci cp=%cp spiffe=%[fc_pp_unique_id]"',
        '  default_backend be',
        'backend be',
        `  server echo 127.0.0.1:${echo.port}`,
        '',
      ].join('\n'),
    );
    let out = '';
    const haproxy: ChildProcess = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    haproxy.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let exited: string | undefined;
    haproxy.on('error', (err) => (exited = `could not start: ${err.message}`));
    haproxy.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
    try {
      await waitFor(
        async () => {
          if (exited) throw new Error(`haproxy ${exited} before listening; it printed: ${out}`);
          return portOpen(haproxyPort);
        },
        { timeoutMs: 20_000, what: 'haproxy to listen' },
      ).catch((err: Error) => {
        throw new Error(`${err.message} (haproxy printed: ${out || 'nothing'})`);
      });
      proxy = await startProxy(testSpec({ backendPort: haproxyPort, proxy_protocol: 'v2' }), serverMaterial(server, [pki.caPem]));
      const { reply, localPort } = await pingThrough(proxy.port);
      expect(reply).toBe('ping');
      const line = await waitFor(() => out.split('\n').find((l) => l.startsWith(`pp ci=127.0.0.1 cp=${localPort} `)), { what: 'the haproxy log line' });
      expect(line).toBe(`pp ci=127.0.0.1 cp=${localPort} spiffe=${SPIFFE}`);
    } finally {
      haproxy.kill();
      await echo.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s: Server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Whether something accepts connections on the port. Probed by connecting, never by
 * binding: a probe that binds the port to see whether it is free can hold it at the
 * moment haproxy binds, and haproxy then exits with "cannot bind socket".
 */
function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = connect({ port, host: '127.0.0.1' });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
