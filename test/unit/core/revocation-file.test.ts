/**
 * The revocation file source polls only where the directory watch does not work:
 * with a live watch a rewritten list is applied through the watch (the backstop
 * re-read is 30 s away) and the list counts as fresh; without one (the state dir
 * did not exist at start) the fast poll finds the list.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRevocationFeed } from '../../../src/core/revocation.js';
import { followRevocationFile, type RevocationFileSource } from '../../../src/core/revocation-file.js';
import { createSilentLogger } from '../../../src/logger.js';
import { writeFileAtomic } from '../../../src/state/atomic-write.js';
import { waitFor } from '../../helpers/proxy-wait.js';

const list = (generation: number, serials: string[]) =>
  JSON.stringify({ version: 1, generation, revoked: serials.map((serial) => ({ serial, id: serial, at: '2026-01-01T00:00:00.000Z', reason: 'unspecified' })) });

describe('revocation file source: watch first, poll only without one', () => {
  let dir: string;
  let source: RevocationFileSource | undefined;
  afterEach(() => {
    source?.close();
    source = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a rewritten list through the directory watch, and reports the list fresh at the current time', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-revw-'));
    const path = join(dir, 'revocations.json');
    let now = new Date('2026-11-29T10:00:00.000Z');
    const feed = createRevocationFeed();
    source = followRevocationFile(feed, { path, pollMs: 50, logger: createSilentLogger(), clock: () => now });
    await waitFor(() => source!.loadedAt() !== null, { what: 'the first read' });
    writeFileAtomic(path, list(1, ['0A']), { mode: 0o600 });
    // Within 5 s: only the watch can do it (the backstop re-read is 30 s away).
    await waitFor(() => feed.has('0a'), { timeoutMs: 5_000, what: 'the revocation applied through the watch' });
    now = new Date('2026-11-29T11:00:00.000Z');
    expect(source.loadedAt()).toBe('2026-11-29T11:00:00.000Z');
  });

  it('polls when the state dir is missing at start (no watch), and finds the list once it appears', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-revp-'));
    const stateDir = join(dir, 'later');
    const path = join(stateDir, 'revocations.json');
    let now = new Date('2026-11-29T10:00:00.000Z');
    const feed = createRevocationFeed();
    source = followRevocationFile(feed, { path, pollMs: 50, logger: createSilentLogger(), clock: () => now });
    const first = source.loadedAt();
    expect(first).toBe('2026-11-29T10:00:00.000Z');
    mkdirSync(stateDir, { recursive: true }); // the first read may already have made it (for the last-good copy)
    writeFileAtomic(path, list(1, ['0B']), { mode: 0o600 });
    await waitFor(() => feed.has('0b'), { timeoutMs: 5_000, what: 'the revocation found by the poll' });
    now = new Date('2026-11-29T11:00:00.000Z');
    // Without a watch the freshness is the last read's, not the current time.
    expect(source.loadedAt()).not.toBe('2026-11-29T11:00:00.000Z');
  });
});
