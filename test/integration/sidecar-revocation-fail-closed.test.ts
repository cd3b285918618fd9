/**
 * Revocation fails closed (issue 9.2): a revocation list that cannot be read at
 * start stops the supervisor, or, with its last good copy beside it, runs on
 * that; a list that becomes readable again is applied, live connections cut.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastGoodPath } from '../../src/core/revocation-file.js';
import type { AuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import type { ProxySupervisor } from '../../src/supervisor/supervisor.js';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tlsConnect, tryEcho } from '../helpers/proxy-fixture.js';
import { sidecarConfig, startSidecar } from '../helpers/proxy-sidecar.js';
import { within } from '../helpers/proxy-wait.js';

let pki: TestPki;
let backend: CountingBackend;
let supervisor: ProxySupervisor | undefined;
let auditLog: AuditLog | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});
afterEach(async () => {
  await supervisor?.close({ drainMs: 0 });
  await auditLog?.close();
  supervisor = undefined;
  await backend.close();
  pki.cleanup();
});

const list = (generation: number, serials: string[]) =>
  JSON.stringify({ version: 1, generation, revoked: serials.map((serial) => ({ serial, id: serial, at: '2026-01-01T00:00:00.000Z', reason: 'keyCompromise' })) });

const config = () => sidecarConfig(pki, [{ name: 'api', listen: '127.0.0.1:0', backend: `127.0.0.1:${backend.port}`, mtls: { mode: 'required' } }]);

describe('revocation fails closed', () => {
  it('a corrupt revocations.json at start stops the start with ERR_STATE_CORRUPT (regression: it started and accepted revoked certificates)', async () => {
    writeFileSync(statePaths(pki.stateDir).revocations, '{ corrupt');
    await expect(startSidecar(pki, config())).rejects.toMatchObject({ code: 'ERR_STATE_CORRUPT', message: expect.stringMatching(/refusing to start/) });
  });

  it('with the last good copy beside it, runs on that, and applies the list once it reads again (regression: the first good read was only a baseline)', async () => {
    const oldRevoked = await pki.client('old');
    const victim = await pki.client('victim');
    const path = statePaths(pki.stateDir).revocations;
    writeFileSync(lastGoodPath(path), list(1, [oldRevoked.record.serial]));
    writeFileSync(path, '{ corrupt');
    ({ supervisor, auditLog } = await startSidecar(pki, config()));
    const port = supervisor.address('api')!.port;
    expect((await tryEcho({ port, caPem: pki.caPem, cert: oldRevoked })).echoed).toBe(false);
    const live = tlsConnect({ port, caPem: pki.caPem, cert: victim });
    live.on('error', () => undefined);
    await once(live, 'secureConnect');
    live.write('ping');
    await once(live, 'data');
    const closed = once(live, 'close');
    writeFileSync(path, list(2, [oldRevoked.record.serial, victim.record.serial]));
    await within(closed, 5_000, 'the live connection of the newly revoked certificate cut');
    expect((await tryEcho({ port, caPem: pki.caPem, cert: victim })).echoed).toBe(false);
  });
});
