/**
 * The chain a listener sends is decided once per secure context (src/core/server-chain.ts,
 * SSL_CTX_build_cert_chain in the native listener) instead of being built again in every
 * handshake: our certificate, then its issuers from the trust anchors (the JS listener
 * includes the self-signed root, as OpenSSL's per-handshake build did; the native one
 * leaves it out); a certificate whose issuer is not among them goes alone. Read off
 * `openssl s_client -showcerts`, a foreign client, which also verifies the chain.
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
import { makeOpensslChain, type OpensslChain } from '../helpers/openssl-chain.js';

let pki: TestPki;
let other: TestPki;
let echo: CountingBackend;
let files: { cert: string; key: string; ca: string };
/** root → intermediate → server leaf for 127.0.0.1, made with the openssl CLI. */
let three: OpensslChain;

beforeAll(async () => {
  [pki, other] = await Promise.all([createTestPki(), createTestPki()]);
  echo = await startEchoBackend();
  const alice = await pki.client('alice');
  const ca = join(pki.dir, 'ca-chain.pem');
  writeFileSync(ca, pki.caPem);
  files = { ...writeCertFiles(pki.dir, 'alice-chain', alice), ca };
  three = makeOpensslChain(pki.dir, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
});

afterAll(async () => {
  await echo.close();
  pki.cleanup();
  other.cleanup();
});

/** The certificates the server sent, in order, as fingerprints, and whether s_client verified them against our CA. */
function sentChain(port: number): Promise<{ chain: string[]; verified: boolean }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-CAfile', files.ca, '-showcerts'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (_err, stdout) => {
      const pems = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
      if (!pems) return reject(new Error(`no certificate in s_client's output:\n${stdout.slice(0, 2000)}`));
      resolve({ chain: pems.map((p) => new X509Certificate(p).fingerprint256), verified: /Verify return code: 0 \(ok\)/.test(stdout) });
    });
    child.stdin?.end('ping');
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('the chain a listener sends', () => {
  for (const [path, start, withRoot] of [
    ['js', startProxy, true],
    ['native', startNativeProxy, false],
  ] as const) {
    it(`is our certificate then its issuers from the trust anchors, ${withRoot ? 'root included' : 'without the root'} (${path} data path)`, async () => {
      const server = await pki.server();
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), serverMaterial(server, [pki.caPem]));
      try {
        const { chain, verified } = await sentChain(proxy.port);
        expect(chain).toEqual(withRoot ? [fingerprint(server.certPem), fingerprint(pki.caPem)] : [fingerprint(server.certPem)]);
        expect(verified).toBe(true);
      } finally {
        await proxy.service.drain(0);
      }
    });

    it(`carries an intermediate from the trust anchors, ${withRoot ? 'root included' : 'without the root'} (${path} data path)`, async () => {
      // Clients are trusted from our CA; the server's own issuers sit beside it among the trust anchors.
      const material = { certPem: three.leaf, keyPem: three.leafKey, caPems: [pki.caPem, `${three.root}${three.inter}`] };
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), material);
      try {
        const expected = [three.leaf, three.inter, ...(withRoot ? [three.root] : [])].map(fingerprint);
        expect((await sentChain(proxy.port)).chain).toEqual(expected);
      } finally {
        await proxy.service.drain(0);
      }
    });

    it(`is our certificate alone when its issuer is not a trust anchor (${path} data path)`, async () => {
      const server = await other.server();
      const proxy: RunningProxy = await start(testSpec({ backendPort: echo.port }), serverMaterial(server, [pki.caPem]));
      try {
        expect((await sentChain(proxy.port)).chain).toEqual([fingerprint(server.certPem)]);
      } finally {
        await proxy.service.drain(0);
      }
    });
  }
});
