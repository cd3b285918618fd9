/**
 * Neither server listener offers TLS certificate compression (RFC 8879). OpenSSL 3.5
 * offers it by default; a client that sees it in the CertificateRequest compresses its
 * certificate with zlib, which cost a Node client 1.7 ms per handshake against the
 * native data path (bench: its new-connection rate with Node clients halved) and
 * gives the server a decompressor to run on untrusted bytes before verification.
 * Read off `openssl s_client -trace`, a foreign client.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { writeCertFiles } from '../helpers/proxy-foreign.js';
import { startNativeProxy } from '../helpers/native-fixture.js';

let pki: TestPki;
let echo: CountingBackend;
let files: { cert: string; key: string; ca: string };

beforeAll(async () => {
  pki = await createTestPki();
  echo = await startEchoBackend();
  const alice = await pki.client('alice');
  const ca = join(pki.dir, 'ca-compression.pem');
  writeFileSync(ca, pki.caPem);
  files = { ...writeCertFiles(pki.dir, 'alice-compression', alice), ca };
});

afterAll(async () => {
  await echo.close();
  pki.cleanup();
});

/** The CertificateRequest's extension lines as `openssl s_client -trace` prints them. */
function certificateRequestExtensions(port: number): Promise<string[]> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-CAfile', files.ca, '-trace'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (_err, stdout) => {
      const start = stdout.indexOf('CertificateRequest');
      if (start < 0) return reject(new Error(`no CertificateRequest in the trace:\n${stdout.slice(0, 2000)}`));
      const section = stdout.slice(start, stdout.indexOf('Received Record', start));
      resolve(section.split('\n').filter((l) => l.includes('extension_type=')).map((l) => l.trim()));
    });
    child.stdin?.end('ping');
  });
}

describe('certificate compression', () => {
  for (const [path, start] of [
    ['js', startProxy],
    ['native', startNativeProxy],
  ] as const) {
    it(`is not offered by the ${path} data path`, async () => {
      const server = await pki.server();
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), serverMaterial(server, [pki.caPem]));
      try {
        const extensions = await certificateRequestExtensions(proxy.port);
        expect(extensions.some((l) => l.startsWith('extension_type=signature_algorithms('))).toBe(true);
        // compress_certificate is extension 27 (OpenSSL 3.0's trace names it UNKNOWN(27)).
        expect(extensions.filter((l) => /\(27\)/.test(l))).toEqual([]);
      } finally {
        await proxy.service.drain(0);
      }
    });
  }
});
