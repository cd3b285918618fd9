import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.js';
import { scanTarget } from '../../../src/scan/index.js';
import { createTestPki, type TestPki } from '../../helpers/ca-fixture.js';
import { startTlsServer, type TestServer } from '../../helpers/scan-servers.js';

describe('scan dials the address it checked (issue 9.4)', () => {
  let pki: TestPki | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    pki?.cleanup();
  });

  it('resolves a name once, dials the checked address and still sends the name as SNI (a rebinding second answer is never used)', async () => {
    pki = await createTestPki();
    const cert = await pki.server({ dns: ['rebind.test'], ip: ['127.0.0.1'] });
    const seenSni: string[] = [];
    server = await startTlsServer({ cert: cert.certPem, key: cert.keyPem!, minVersion: 'TLSv1.2', SNICallback: (name, cb) => { seenSni.push(name); cb(null, tls.createSecureContext({ cert: cert.certPem, key: cert.keyPem! })); } });
    const answers = [['127.0.0.1'], ['169.254.169.254']];
    const asked: string[] = [];
    const lookup = async (host: string) => { asked.push(host); return answers[asked.length - 1] ?? ['169.254.169.254']; };
    const report = await scanTarget({ host: 'rebind.test', port: server.port, probeTimeoutMs: 3_000, deadlineMs: 30_000, concurrency: 2, policy: { allow: [], deny: [] } }, { logger: createSilentLogger(), lookup });
    expect(asked).toEqual(['rebind.test']);
    expect(report.target).toMatchObject({ host: 'rebind.test', address: '127.0.0.1', sni: 'rebind.test' });
    expect(report.tls).toBe(true);
    expect(seenSni.length).toBeGreaterThan(0);
    expect(new Set(seenSni)).toEqual(new Set(['rebind.test']));
  });

  it('refuses before dialling when the one answer is link-local', async () => {
    const err = await scanTarget({ host: 'meta.rebind.test', port: 80, policy: { allow: [], deny: [] } }, { logger: createSilentLogger(), lookup: async () => ['169.254.169.254'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SCAN_TARGET_REFUSED', message: expect.stringContaining('built-in link-local') });
  });
});
