/**
 * Foreign clients against the mTLS listener: openssl s_client with and without
 * a certificate, curl through to an HTTP backend, a TLS 1.2-only client. The
 * backend counts its connections: refused clients never reach it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startHttpBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { runProcess, writeCertFiles } from '../helpers/proxy-foreign.js';

let pki: TestPki;
let backend: CountingBackend;
let proxy: RunningProxy;
let caFile: string;
let client: { cert: string; key: string };

beforeAll(async () => {
  pki = await createTestPki();
  backend = await startHttpBackend();
  caFile = join(pki.dir, 'ca.pem');
  writeFileSync(caFile, pki.caPem);
  client = writeCertFiles(pki.dir, 'alice', await pki.client('alice'));
  proxy = await startProxy(testSpec({ backendPort: backend.port }), serverMaterial(await pki.server(), [pki.caPem]));
});

afterAll(async () => {
  await proxy.service.drain(0);
  await backend.close();
  pki.cleanup();
});

const request = 'GET /via-openssl HTTP/1.0\r\nHost: localhost\r\n\r\n';
const sClient = (extra: string[]) => ['s_client', '-connect', `127.0.0.1:${proxy.port}`, '-servername', 'localhost', '-CAfile', caFile, '-ign_eof', ...extra];

describe('foreign clients', () => {
  it('openssl s_client with a client certificate reaches the backend', async () => {
    const before = backend.connections;
    const r = await runProcess('openssl', sClient(['-cert', client.cert, '-key', client.key, '-quiet']), { input: request });
    expect(r.stdout).toContain('hello from backend /via-openssl');
    expect(backend.connections).toBe(before + 1);
  });

  it('openssl s_client without a certificate completes the TLS 1.3 handshake, then is refused with nothing forwarded', async () => {
    const before = backend.connections;
    const r = await runProcess('openssl', sClient([]), { input: request });
    // The handshake itself succeeds in TLS 1.3 (the server verified nothing yet from the client's view)...
    expect(r.stdout).toContain('TLSv1.3');
    // ...and reading afterwards shows the refusal: no response, the connection is closed.
    expect(r.stdout).not.toContain('hello from backend');
    expect(backend.connections).toBe(before);
    expect(proxy.events.some((e) => e.reason === 'no_certificate')).toBe(true);
  });

  it('openssl s_client -tls1_2 is refused during the handshake', async () => {
    const before = backend.connections;
    const r = await runProcess('openssl', sClient(['-tls1_2', '-cert', client.cert, '-key', client.key]), { input: request });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/protocol version|no protocols available|unsupported protocol|alert/i);
    expect(r.stdout).not.toContain('hello from backend');
    expect(backend.connections).toBe(before);
  });

  it('curl --cert --key --cacert gets the backend response through the proxy', async () => {
    const before = backend.connections;
    const r = await runProcess('curl', ['-sS', '--cacert', caFile, '--cert', client.cert, '--key', client.key, `https://localhost:${proxy.port}/via-curl`, '--resolve', `localhost:${proxy.port}:127.0.0.1`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from backend /via-curl\n');
    expect(backend.connections).toBe(before + 1);
  });

  it('curl without a client certificate fails and nothing reaches the backend', async () => {
    const before = backend.connections;
    const r = await runProcess('curl', ['-sS', '--cacert', caFile, `https://127.0.0.1:${proxy.port}/nope`]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(backend.connections).toBe(before);
  });
});
