import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.js';
import { createServicePinning } from '../../../src/mcp-front/pinning.js';
import { createPinStore } from '../../../src/mcp-front/pinning-store.js';
import { parseMcpCounterKey } from '../../../src/protocol/mcp-counters.js';

const tools = [{ name: 'a', description: 'A', inputSchema: { type: 'object' } }];

describe('service pinning', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('fails closed in block mode when the pin file cannot be read, and leaves the file untouched', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-pins-'));
    const path = join(dir, 'svc.json');
    writeFileSync(path, '{ not json');
    const block = createServicePinning({ service: 'svc', mode: 'block', store: createPinStore('svc', path), audit: () => undefined, logger: createSilentLogger() });
    const session = block.session({ session: 's1', cn: 'alice' });
    expect(session.filter('tool', tools, true)).toEqual([]);
    expect(session.refusal('tool', 'a')?.data.code).toBe('ERR_TOOL_DEFINITION_CHANGED');
    const warn = createServicePinning({ service: 'svc', mode: 'warn', store: createPinStore('svc', path), audit: () => undefined, logger: createSilentLogger() });
    expect(warn.session({ session: 's2' }).filter('tool', tools, true)).toEqual(tools);
  });

  it('audits a change once per session and counts it', async () => {
    const events: Record<string, unknown>[] = [];
    const store = createPinStore('svc');
    const pinning = createServicePinning({ service: 'svc', mode: 'block', store, audit: (e) => void events.push(e), logger: createSilentLogger() });
    pinning.session({ session: 's1' }).filter('tool', tools, true);
    await store.update(() => undefined);
    const changed = [{ ...tools[0]!, description: 'A, changed' }];
    const s2 = pinning.session({ session: 's2', cn: 'bob' });
    expect(s2.filter('tool', changed, true)).toEqual([]);
    expect(s2.filter('tool', changed, true)).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'tool_definition_changed', tool: 'a', peer_cn: 'bob', session: 's2', diff: ['description: "A" -> "A, changed"'] });
    expect(pinning.stats().changes).toBe(1);
  });

  it('keys its counters by kind, a backend-listed name and outcome; a name only the agent sent is counted without it', async () => {
    const store = createPinStore('svc');
    const pinning = createServicePinning({ service: 'svc', mode: 'block', store, audit: () => undefined, logger: createSilentLogger() });
    pinning.session({ session: 's1' }).filter('tool', tools, true);
    await store.update(() => undefined);
    const s2 = pinning.session({ session: 's2', cn: 'bob' });
    s2.filter('tool', [{ ...tools[0]!, description: 'A, changed' }], true);
    expect(s2.refusal('tool', 'a')).toBeDefined();
    expect(s2.refusal('tool', 'invented-by-the-agent')).toBeDefined();
    const counters = Object.entries(pinning.stats().counters).map(([key, n]) => ({ ...parseMcpCounterKey(key), n }));
    expect(counters).toEqual([
      { metric: 'definition_changes', kind: 'tool', tool: 'a', outcome: 'changed', n: 1 },
      { metric: 'pinning_refused', kind: 'tool', tool: 'a', outcome: 'changed', n: 1 },
      { metric: 'pinning_refused', kind: 'tool', tool: '', outcome: 'unlisted', n: 1 },
    ]);
  });
});
