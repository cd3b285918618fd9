import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRevocationFeed } from '../../../src/core/revocation.js';
import { followRevocationFile, lastGoodPath, type RevocationFileSource } from '../../../src/core/revocation-file.js';
import { DEFAULT_SESSION_LIMITS, idleSessions, makeRoom } from '../../../src/core/session-limits.js';
import { createSilentLogger } from '../../../src/logger.js';
import { waitFor } from '../../helpers/proxy-wait.js';

const list = (generation: number, serials: string[]) =>
  JSON.stringify({ version: 1, generation, revoked: serials.map((serial) => ({ serial, id: serial, at: '2026-01-01T00:00:00.000Z', reason: 'unspecified' })) });

describe('revocation feed', () => {
  it('normalizes serials, tells subscribers once, and gives a late caller the counts of the cut', async () => {
    const feed = createRevocationFeed(['00:0A']);
    expect(feed.has('0a')).toBe(true);
    const told: string[][] = [];
    feed.subscribe((serials) => {
      told.push(serials);
      return { connections: 1 };
    });
    const first = await feed.add(['0B', '0a']);
    expect(first).toEqual({ added: ['0b'], cut: { connections: 1 } });
    const again = await feed.add(['0b']);
    expect(again).toEqual({ added: [], cut: { connections: 1 } });
    expect(told).toEqual([['0b']]);
  });
});

describe('revocation file source (fails closed)', () => {
  let dir: string;
  let source: RevocationFileSource | undefined;
  afterEach(() => {
    source?.close();
    source = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const setup = () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-rev-'));
    return join(dir, 'revocations.json');
  };

  it('refuses to start on an unreadable list without a last good copy (ERR_STATE_CORRUPT)', () => {
    const path = setup();
    writeFileSync(path, '{ not json');
    expect(() => followRevocationFile(createRevocationFeed(), { path, pollMs: 50, logger: createSilentLogger() })).toThrow(expect.objectContaining({ code: 'ERR_STATE_CORRUPT' }));
  });

  it('runs on the last good copy when the list is corrupt at start, and applies the list once it reads again', async () => {
    const path = setup();
    writeFileSync(lastGoodPath(path), list(3, ['aa']));
    writeFileSync(path, '{ corrupt');
    const feed = createRevocationFeed();
    source = followRevocationFile(feed, { path, pollMs: 50, logger: createSilentLogger() });
    expect(feed.has('aa')).toBe(true);
    expect(source.loadedAt()).toBeNull();
    writeFileSync(path, list(4, ['aa', 'bb']));
    await waitFor(() => feed.has('bb'), { timeoutMs: 2_000 });
    expect(source.loadedAt()).not.toBeNull();
  });

  it('applies a list that becomes readable again even when its generation was seen before (regression: the first good read was a baseline)', async () => {
    const path = setup();
    writeFileSync(path, list(1, []));
    const feed = createRevocationFeed();
    source = followRevocationFile(feed, { path, pollMs: 50, logger: createSilentLogger() });
    writeFileSync(path, 'garbage');
    await source.check();
    writeFileSync(path, list(2, ['cc']));
    await waitFor(() => feed.has('cc'), { timeoutMs: 2_000 });
  });
});

describe('session limits', () => {
  const limits = { ...DEFAULT_SESSION_LIMITS, maxPerIdentity: 2, maxTotal: 3, idleTimeoutMs: 1_000 };
  type S = { id: string; owner: string; lastActive: number; busy: boolean };
  const view = (s: S) => s;

  it('closes the identity’s least recently active idle session instead of refusing the new one', () => {
    const sessions: S[] = [
      { id: 'a', owner: 'x', lastActive: 5, busy: false },
      { id: 'b', owner: 'x', lastActive: 1, busy: false },
    ];
    expect(makeRoom(sessions, 'x', limits, view)).toEqual({ evict: [sessions[1]] });
    expect(makeRoom(sessions, 'y', limits, view)).toEqual({ evict: [] });
  });

  it('refuses only when every session of the identity is busy, and expires idle ones', () => {
    const busy: S[] = [
      { id: 'a', owner: 'x', lastActive: 5, busy: true },
      { id: 'b', owner: 'x', lastActive: 1, busy: true },
    ];
    expect(makeRoom(busy, 'x', limits, view)).toHaveProperty('refuse');
    expect(idleSessions([{ id: 'c', owner: 'x', lastActive: 0, busy: false }, ...busy], limits, 2_000, view).map((s) => s.id)).toEqual(['c']);
  });
});
