/**
 * The JSON log lines of a real `tlsmcp run` on stderr: each parses, carries an
 * ISO timestamp and a level name, and names its service once, including the
 * worker's refusal line (whose logger binds `service` and whose call names it too).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/ca-fixture.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { tryEcho } from '../helpers/proxy-fixture.js';
import { waitFor } from '../helpers/proxy-wait.js';
import { startTlsmcpRun, type RunningTlsmcp } from '../helpers/tlsmcp-run.js';

let pki: TestPki;
let backend: CountingBackend;
let run: RunningTlsmcp | undefined;

beforeEach(async () => {
  pki = await createTestPki();
  backend = await startEchoBackend();
});

afterEach(async () => {
  await run?.stop();
  run = undefined;
  await backend.close();
  pki.cleanup();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('tlsmcp run log lines', () => {
  it('are JSON with an ISO time, a level name and one service key', async () => {
    run = await startTlsmcpRun({
      dir: pki.dir,
      stateDir: pki.stateDir,
      config: ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'logging: { level: info }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`],
    });
    expect(await tryEcho({ port: run.port, caPem: pki.caPem })).toMatchObject({ echoed: false });
    const line = await waitFor(() => run!.stderr().split('\n').find((l) => l.includes('"event":"connection_rejected"')), { what: 'the refusal log line' });

    expect(line.match(/"service":/g)).toHaveLength(1);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'warn', service: 'echo', event: 'connection_rejected', reason: 'no_certificate', pid: run.child.pid });
    expect(entry.time).toMatch(ISO);
    expect(Math.abs(Date.parse(entry.time as string) - Date.now())).toBeLessThan(10 * 60_000);
    expect(typeof entry.msg).toBe('string');

    const lines = run.stderr().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) {
      const e = JSON.parse(l) as { level: unknown; time: unknown };
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(e.level);
      expect(e.time).toMatch(ISO);
      expect(l.match(/"service":/g)?.length ?? 0, l).toBeLessThanOrEqual(1);
    }
  });
});
