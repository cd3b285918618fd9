/**
 * The chain a listener sends is decided once per secure context (src/core/server-chain.ts,
 * SSL_CTX_build_cert_chain in the native listener) instead of being built again in every
 * handshake, and it is the chain OpenSSL's per-handshake build sent: our certificate, then
 * its issuer from the trust anchors; a certificate whose issuer is not among them goes
 * alone. Read off `openssl s_client -showcerts`, a foreign client, from both data paths.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { serverMaterial, startProxy, testSpec, type RunningProxy } from '../helpers/proxy-fixture.js';
import { writeCertFiles } from '../helpers/proxy-foreign.js';
import { startNativeProxy } from '../helpers/native-fixture.js';

let pki: TestPki;
let other: TestPki;
let echo: CountingBackend;
let files: { cert: string; key: string; ca: string };

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki(), createTestPki()]);
  echo = await startEchoBackend();
  const alice = await pki.client('alice');
  const ca = join(pki.dir, 'ca-chain.pem');
  writeFileSync(ca, pki.caPem);
  files = { ...writeCertFiles(pki.dir, 'alice-chain', alice), ca };
});

afterAll(async () => {
  await echo.close();
  pki.cleanup();
  other.cleanup();
});

/** The certificates the server sent, in order, as fingerprints. */
function sentChain(port: number): Promise<string[]> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-CAfile', files.ca, '-showcerts'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (_err, stdout) => {
      const pems = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
      if (!pems) return reject(new Error(`no certificate in s_client's output:\n${stdout.slice(0, 2000)}`));
      resolve(pems.map((p) => new X509Certificate(p).fingerprint256));
    });
    child.stdin?.end('ping');
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('the chain a listener sends', () => {
  for (const [path, start] of [
    ['js', startProxy],
    ['native', startNativeProxy],
  ] as const) {
    it(`is our certificate then its issuer from the trust anchors (${path} data path)`, async () => {
      const server = await pki.server();
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), serverMaterial(server, [pki.caPem]));
      try {
        expect(await sentChain(proxy.port)).toEqual([fingerprint(server.certPem), fingerprint(pki.caPem)]);
      } finally {
        await proxy.service.drain(0);
      }
    });

    it(`is our certificate alone when its issuer is not a trust anchor (${path} data path)`, async () => {
      const server = await other.server();
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), serverMaterial(server, [pki.caPem]));
      try {
        expect(await sentChain(proxy.port)).toEqual([fingerprint(server.certPem)]);
      } finally {
        await proxy.service.drain(0);
      }
    });
  }
});
