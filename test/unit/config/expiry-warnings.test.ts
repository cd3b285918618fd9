/** provider: commercial: the operator's certificate gets an expiry warning within renew_before, and none before. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { expiringFiles } from '../../../src/renew/expiry-warnings.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';

let pki: TestPki;
beforeEach(async () => {
  pki = await createTestPki();
});
afterEach(() => pki.cleanup());

describe('commercial certificates: expiry warnings from renew_before', () => {
  it('warns once the certificate is within renew_before of expiry, not earlier', async () => {
    const issued = await pki.server({ ttlMs: 20 * 86_400_000 });
    const cert = join(pki.dir, 'shop.pem');
    const key = join(pki.dir, 'shop.key');
    writeFileSync(cert, issued.certPem);
    writeFileSync(key, issued.keyPem!, { mode: 0o600 });
    const config = parseConfig({
      listen: '127.0.0.1:0',
      backend: '127.0.0.1:9',
      server_cert: { provider: 'commercial', cert_file: cert, key_file: key, renew_before: '7d' },
    });
    const notAfter = Date.parse(issued.record.not_after);
    expect(expiringFiles(config, new Date(notAfter - 8 * 86_400_000))).toEqual([]);
    // X.509 keeps whole seconds.
    expect(expiringFiles(config, new Date(notAfter - 6 * 86_400_000))).toEqual([{ service: 'default', file: cert, not_after: new Date(Math.floor(notAfter / 1000) * 1000).toISOString() }]);
  });
});
