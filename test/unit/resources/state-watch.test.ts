import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchState, type StateChanges, type StateWatch } from '../../../src/mcp/state-watch.js';
import { waitFor } from '../../helpers/mcp-wait.js';

const line = (service: string, n: number) => `${JSON.stringify({ time: new Date().toISOString(), kind: 'connection', service, result: 'accepted', n })}\n`;

describe('watchState (what subscriptions are built on)', () => {
  let dir: string;
  let watcher: StateWatch | undefined;
  let reports: StateChanges[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-watch-'));
    reports = [];
  });
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (debounceMs = 100) => {
    watcher = await watchState({ stateDir: dir, debounceMs, onChanges: async (c) => void reports.push(c), onError: (err) => { throw err; } });
  };

  it('reports only events appended after it started, a burst in one report', async () => {
    appendFileSync(join(dir, 'audit.log'), line('old', 0));
    await start();
    // Written in one tick: all on disk before the debounce timer can fire.
    for (let n = 1; n <= 5; n++) appendFileSync(join(dir, 'audit.log'), line('api', n));
    await waitFor(() => reports.length > 0, { what: 'a report' });
    expect(reports[0]!.auditEvents.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    expect(reports[0]!.stateChanged).toBe(false);
  });

  it('leaves a line still being written for the next report', async () => {
    await start();
    const full = line('api', 1);
    appendFileSync(join(dir, 'audit.log'), full.slice(0, 10));
    appendFileSync(join(dir, 'marker.json'), '{}'); // a state change, so the first report is sent
    await waitFor(() => reports.length > 0, { what: 'the first report' });
    expect(reports[0]!.auditEvents).toEqual([]);
    appendFileSync(join(dir, 'audit.log'), full.slice(10));
    await waitFor(() => reports.some((r) => r.auditEvents.length > 0), { what: 'the completed line' });
    expect(reports.flatMap((r) => r.auditEvents).map((e) => e.n)).toEqual([1]);
  });

  it('starts over when the log is truncated, and reports other state files as a state change', async () => {
    appendFileSync(join(dir, 'audit.log'), line('api', 0).repeat(3));
    await start();
    truncateSync(join(dir, 'audit.log'), 0);
    appendFileSync(join(dir, 'audit.log'), line('api', 7));
    await waitFor(() => reports.some((r) => r.auditEvents.length > 0), { what: 'the event after truncation' });
    expect(reports.flatMap((r) => r.auditEvents).map((e) => e.n)).toEqual([7]);
    writeFileSync(join(dir, 'inventory.json'), '{}');
    await waitFor(() => reports.some((r) => r.stateChanged), { what: 'a state change' });
  });
});
