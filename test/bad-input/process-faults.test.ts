/**
 * Bad input, process faults: `tlsmcp cert issue` killed with SIGKILL before each
 * of its file writes (with and without --p12), a disk that fills up (injected
 * ENOSPC, and a real full tmpfs where this machine can mount one), a corrupt
 * inventory. The property each case proves is named in it: after any of these
 * the state holds either nothing or a record that can be revoked, and the
 * command says what happened with a stable code.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/index.js';
import { statePaths } from '../../src/state/state-dir.js';
import { TEST_POLICY } from '../helpers/ca-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startEchoBackend, type CountingBackend } from '../helpers/proxy-backend.js';
import { eventWithin, waitFor, within } from '../helpers/proxy-wait.js';
import { findOrphans } from './helpers/orphans.js';

const PRELOAD = join(import.meta.dirname, 'helpers', 'fault-preload.mjs');
let root: string;
let baseState: string;
let n = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tlsmcp-faults-'));
  baseState = join(root, 'base');
  await createCertificateAuthority({ stateDir: baseState, policy: TEST_POLICY }).init();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of a state dir that holds a CA and nothing it issued. */
function freshState(): { state: string; out: string } {
  n += 1;
  const state = join(root, `case-${n}`, 'state');
  cpSync(baseState, state, { recursive: true });
  return { state, out: join(root, `case-${n}`, 'out') };
}

const issueWithFault = (state: string, fault: string, extra: string[] = []) =>
  runCli(['--state', state, 'cert', 'issue', '--type', 'client', '--service', 'api', '--cn', 'web-1', ...extra], {
    env: { NODE_OPTIONS: `--import ${PRELOAD}`, TLSMCP_FAULT: fault },
  });

/** Nothing, or records that are all revocable: revoke each and see its serial listed as revoked. */
async function expectNothingOrRevocable(state: string, out: string): Promise<number> {
  const report = findOrphans(state, out);
  expect(report.orphans, 'certificate files the inventory does not list').toEqual([]);
  expect(report.orphanBundles, 'PKCS#12 bundles no record names').toEqual([]);
  if (report.records.length === 0) {
    expect(report.found).toEqual([]);
    expect(report.keyFiles).toEqual([]);
  }
  const ca = createCertificateAuthority({ stateDir: state, policy: TEST_POLICY });
  for (const r of report.records) await ca.revoke(r.id, 'keyCompromise');
  const revoked = new Set((await ca.revocations()).map((e) => e.serial));
  for (const r of report.records) expect(revoked.has(r.serial)).toBe(true);
  return report.records.length;
}

describe('kill -9 during `cert issue` (issue 9.3)', () => {
  // Writes of a plain issue: inventory, state cert.pem, state ca.pem, key.pem.
  const PLAIN_WRITES = 4;
  it.each(Array.from({ length: PLAIN_WRITES }, (_, i) => i + 1))('killed before write %i of a plain issue: nothing left, or a revocable record (no orphan)', async (k) => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, `kill-before-rename:${k}`);
    expect(result.code).toBe(128);
    const records = await expectNothingOrRevocable(state, out);
    // The inventory is the first write: killed before it, nothing is recorded; after it, the record is there.
    expect(records).toBe(k === 1 ? 0 : 1);
  });

  it(`a plain issue makes exactly ${PLAIN_WRITES} writes, so the cases above cover every point (killed "before write ${PLAIN_WRITES + 1}" it completes)`, async () => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, `kill-before-rename:${PLAIN_WRITES + 1}`);
    expect(result.code).toBe(0);
    expect(await expectNothingOrRevocable(state, out)).toBe(1);
  });

  // With --p12 --out: inventory, state cert.pem and ca.pem, out cert.pem, ca.pem, key.pem, bundle.p12.
  const P12_WRITES = 7;
  it.each(Array.from({ length: P12_WRITES }, (_, i) => i + 1))('killed before write %i of an issue with --p12 --out: no orphan certificate or bundle', async (k) => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, `kill-before-rename:${k}`, ['--p12', '--p12-password', 'pw', '--out', out]);
    expect(result.code).toBe(128);
    expect(await expectNothingOrRevocable(state, out)).toBe(k === 1 ? 0 : 1);
  });

  it(`an issue with --p12 --out makes exactly ${P12_WRITES} writes (killed "before write ${P12_WRITES + 1}" it completes)`, async () => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, `kill-before-rename:${P12_WRITES + 1}`, ['--p12', '--p12-password', 'pw', '--out', out]);
    expect(result.code).toBe(0);
    expect(await expectNothingOrRevocable(state, out)).toBe(1);
  });

  it('the lock of a command killed mid-issue does not block the next one: it is stale at once', async () => {
    const { state } = freshState();
    expect((await issueWithFault(state, 'kill-before-rename:2')).code).toBe(128);
    const next = await runCli(['--state', state, 'cert', 'list', '--json']);
    expect(next.code).toBe(0);
    const again = await runCli(['--state', state, 'cert', 'issue', '--type', 'client', '--service', 'api', '--json'], { timeoutMs: 20_000 });
    expect(again.code).toBe(0);
  });
});

describe('disk full during `cert issue` (issue 9.3)', () => {
  it('ENOSPC on the inventory write: ERR_STATE_WRITE, exit 1, nothing recorded and no certificate file', async () => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, 'enospc:inventory.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_STATE_WRITE/);
    expect(result.stderr).toMatch(/no space left/);
    expect(await expectNothingOrRevocable(state, out)).toBe(0);
  });

  it('ENOSPC on the key write (after the record): ERR_STATE_WRITE, exit 1, the record revoked and no key or out file left', async () => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, 'enospc:key.pem', ['--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_STATE_WRITE: cannot write .*key\.pem: no space left on the device \(ENOSPC\); certificate \w+ was recorded, then revoked/);
    const report = findOrphans(state, out);
    expect(report.orphans).toEqual([]);
    expect(report.keyFiles).toEqual([]);
    expect(report.found.every((f) => f.path.startsWith(state))).toBe(true);
    expect(report.records).toHaveLength(1);
    expect(report.records[0]!.revoked).toMatchObject({ reason: 'cessationOfOperation' });
    const revocations = JSON.parse(readFileSync(statePaths(state).revocations, 'utf8')) as { revoked: { serial: string }[] };
    expect(revocations.revoked.map((r) => r.serial)).toEqual([report.records[0]!.serial]);
  });

  it('ENOSPC on the PKCS#12 write: exit 1, no bundle and no key left, the certificate revoked', async () => {
    const { state, out } = freshState();
    const result = await issueWithFault(state, 'enospc:bundle.p12', ['--p12', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_STATE_WRITE/);
    const report = findOrphans(state, out);
    expect(report.orphanBundles).toEqual([]);
    expect(report.keyFiles).toEqual([]);
    expect(report.records[0]?.revoked).toBeDefined();
  });

  const tmpfs = (() => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
    const probe = mkdtempSync(join(tmpdir(), 'tlsmcp-tmpfs-probe-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return undefined;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();

  it.skipIf(!tmpfs)('a real full disk (a 64 KiB tmpfs filled up) as --out: ERR_STATE_WRITE, exit 1, no orphan on it', async () => {
    const { state } = freshState();
    const out = mkdtempSync(join(tmpdir(), 'tlsmcp-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', out]);
    try {
      // Fill it: tmpfs refuses the write that does not fit.
      try {
        writeFileSync(join(out, 'filler'), Buffer.alloc(1024 * 1024));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      mkdirSync(join(out, 'certs'), { recursive: true });
      const result = await runCli(['--state', state, 'cert', 'issue', '--type', 'client', '--service', 'api', '--out', join(out, 'certs')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/ERR_STATE_WRITE: cannot write .*: no space left on the device \(ENOSPC\)/);
      const report = findOrphans(state, join(out, 'certs'));
      expect(report.orphans).toEqual([]);
      expect(report.found.every((f) => f.path.startsWith(state))).toBe(true);
      expect(report.records.every((r) => r.revoked)).toBe(true);
    } finally {
      execFileSync('umount', [out]);
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('corrupt inventory (issue 9.3)', () => {
  it('`cert issue` over a corrupt inventory.json: ERR_STATE_CORRUPT, exit 1, the file left byte for byte and no certificate written', async () => {
    const { state, out } = freshState();
    const garbage = '{"version":1,"certs":[{"id": oops';
    writeFileSync(statePaths(state).inventory, garbage);
    const result = await runCli(['--state', state, 'cert', 'issue', '--type', 'client', '--service', 'api', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_STATE_CORRUPT: state file .*inventory\.json is not valid JSON/);
    expect(readFileSync(statePaths(state).inventory, 'utf8')).toBe(garbage);
    expect(findOrphans.bind(null, state, out)).toThrow(/ERR_STATE_CORRUPT|not valid JSON/);
  });

  it('`cert revoke` and `cert list` over an inventory of the wrong shape: ERR_STATE_CORRUPT naming the field, nothing rewritten', async () => {
    const { state } = freshState();
    const wrong = JSON.stringify({ version: 1, certs: [{ id: 1 }] });
    writeFileSync(statePaths(state).inventory, wrong);
    for (const args of [['cert', 'revoke', 'abc'], ['cert', 'list']]) {
      const result = await runCli(['--state', state, ...args]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/ERR_STATE_CORRUPT: .*does not match the expected shape at certs\.0/);
    }
    expect(readFileSync(statePaths(state).inventory, 'utf8')).toBe(wrong);
  });
});

describe('two `tlsmcp run` on one state dir (issue 9.6)', () => {
  const BIN = join(import.meta.dirname, '../../bin/tlsmcp.js');
  const children: ChildProcess[] = [];
  let backend: CountingBackend | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await eventWithin(c, 'exit', 5_000);
      }
    }
    await backend?.close();
    backend = undefined;
  });

  async function configIn(dir: string): Promise<string> {
    backend ??= await startEchoBackend();
    const file = join(dir, 'tlsmcp.yaml');
    writeFileSync(file, ['version: 1', 'admin: { address: "127.0.0.1:0" }', 'services:', '  - name: echo', '    listen: "127.0.0.1:0"', `    backend: "127.0.0.1:${backend.port}"`, ''].join('\n'));
    return file;
  }

  function startRun(state: string, config: string): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
    const child = spawn(process.execPath, [BIN, '--state', state, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TLSMCP_HOME: '' } });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, stderr: () => err, exit };
  }

  const runtimePid = (state: string) => {
    try {
      return (JSON.parse(readFileSync(statePaths(state).runtimeFile, 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  };

  it('two started at the same moment: exactly one runs (and owns runtime.json), the other exits 1 with ERR_STATE_LOCKED naming it', async () => {
    const { state } = freshState();
    const config = await configIn(join(state, '..'));
    const runs = [0, 1].map(() => startRun(state, config));
    const winnerPid = await waitFor(() => runtimePid(state), { timeoutMs: 60_000, what: 'a runtime file' });
    const losers = runs.filter((r) => r.child.pid !== winnerPid);
    expect(losers).toHaveLength(1);
    for (const loser of losers) {
      expect(await within(loser.exit, 60_000, 'a second run exiting')).toBe(1);
      expect(loser.stderr()).toMatch(new RegExp(`ERR_STATE_LOCKED: tlsmcp is already running for state dir .* \\(pid ${winnerPid} `));
    }
    const winner = runs.find((r) => r.child.pid === winnerPid)!;
    expect(winner.child.exitCode).toBeNull();
    expect(runtimePid(state)).toBe(winnerPid);
  }, 90_000);

  it('a run killed with -9 leaves a stale instance lock that the next run breaks at once', async () => {
    const { state } = freshState();
    const config = await configIn(join(state, '..'));
    const first = startRun(state, config);
    await waitFor(() => runtimePid(state) === first.child.pid, { timeoutMs: 60_000, what: 'the first run' });
    first.child.kill('SIGKILL');
    await first.exit;
    const second = startRun(state, config);
    await waitFor(() => runtimePid(state) === second.child.pid || (second.child.exitCode !== null && `exited: ${second.stderr()}`), { timeoutMs: 60_000, what: 'the second run' });
    expect(second.child.exitCode).toBeNull();
  }, 90_000);
});
