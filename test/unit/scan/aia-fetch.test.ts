/** The AIA caIssuers fetch against a real local HTTP server: bounded, policy-checked, no redirects. */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AIA_MAX_BYTES, fetchAiaIssuer } from '../../../src/scan/aia-fetch.js';
import { createTestPki } from '../../helpers/scan-certs.js';

const LOOPBACK = { allow: ['127.0.0.0/8'], deny: [] };
let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fetchAiaIssuer', () => {
  it('reads a PEM issuer', async () => {
    const pki = createTestPki();
    const base = await serve((_req, res) => res.end(pki.intermediate.certPem));
    const r = await fetchAiaIssuer(`${base}/i.pem`, { policy: LOOPBACK, timeoutMs: 2_000 });
    expect(r.ok && r.der.length).toBe(1);
  });

  it('refuses an answer larger than the bound', async () => {
    const base = await serve((_req, res) => res.end(Buffer.alloc(AIA_MAX_BYTES + 1024)));
    const r = await fetchAiaIssuer(`${base}/big.cer`, { policy: LOOPBACK, timeoutMs: 2_000 });
    expect(r).toEqual({ ok: false, error: expect.stringContaining(`larger than ${AIA_MAX_BYTES} bytes`) });
  });

  it('gives up on a server that never answers within the timeout', async () => {
    const base = await serve(() => undefined);
    const r = await fetchAiaIssuer(`${base}/slow.cer`, { policy: LOOPBACK, timeoutMs: 300 });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/within 300 ms/) });
  });

  it('does not follow redirects, and checks the host against the scan policy before dialling', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
    });
    expect(await fetchAiaIssuer(`${base}/moved.cer`, { policy: LOOPBACK, timeoutMs: 2_000 })).toEqual({ ok: false, error: `${base}/moved.cer: HTTP 302` });
    expect(hits).toBe(1);
    const refused = await fetchAiaIssuer(`${base}/x.cer`, { policy: { allow: [], deny: ['127.0.0.0/8'] }, timeoutMs: 2_000 });
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/scan\.deny\[0\] 127\.0\.0\.0\/8/) });
    expect(hits).toBe(1);
    expect(await fetchAiaIssuer('ldap://example.com/cn=ca', { policy: LOOPBACK, timeoutMs: 2_000 })).toEqual({ ok: false, error: expect.stringContaining('only http:// and https://') });
  });
});
