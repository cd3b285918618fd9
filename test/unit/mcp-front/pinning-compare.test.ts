import { describe, expect, it } from 'vitest';
import { approve, compare, observe, record } from '../../../src/mcp-front/pinning-compare.js';
import { definitionHash } from '../../../src/mcp-front/pinning-hash.js';
import { emptyPinFile } from '../../../src/mcp-front/pinning-store.js';

const tool = (name: string, description: string, extra: Record<string, unknown> = {}) => ({ name, description, inputSchema: { type: 'object' }, ...extra });

describe('pin comparison', () => {
  it('hashes the RFC 8785 canonical form: key order and unpinned fields do not matter', () => {
    const a = observe('tool', [{ name: 'x', description: 'd', inputSchema: { type: 'object', properties: { a: { type: 'string' } } } }])[0]!;
    const b = observe('tool', [{ inputSchema: { properties: { a: { type: 'string' } }, type: 'object' }, _meta: { any: 1 }, description: 'd', name: 'x' }])[0]!;
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toBe(definitionHash({ name: 'x', description: 'd', inputSchema: { type: 'object', properties: { a: { type: 'string' } } } }));
  });

  it('pins on first contact, then reports changed, added and removed with a diff; approve makes them the pins', () => {
    const file = emptyPinFile('svc');
    expect(record(file, 'tool', observe('tool', [tool('a', 'A'), tool('b', 'B')]), true, 'alice', 't0')).toEqual([]);
    expect(Object.keys(file.pins).sort()).toEqual(['tool:a', 'tool:b']);

    const next = observe('tool', [tool('a', 'A, now evil'), tool('c', 'C')]);
    const result = compare(file, 'tool', next, true);
    expect(result.changes.map((c) => [c.name, c.change])).toEqual([
      ['a', 'changed'],
      ['c', 'added'],
      ['b', 'removed'],
    ]);
    expect(result.changes[0]!.diff).toEqual(['description: "A" -> "A, now evil"']);
    record(file, 'tool', next, true, 'bob', 't1');
    record(file, 'tool', next, true, 'carol', 't2');
    expect(file.changes['tool:a']?.seen_by).toEqual(['bob', 'carol']);

    expect(approve(file, 't3', 'a')).toEqual(['tool:a']);
    expect(file.pins['tool:a']?.hash).toBe(next[0]!.hash);
    expect(approve(file, 't3').sort()).toEqual(['tool:b', 'tool:c']);
    expect(file.pins['tool:b']).toBeUndefined();
    expect(compare(file, 'tool', next, true).changes).toEqual([]);
  });

  it('does not call a pin removed from one page of a paginated list', () => {
    const file = emptyPinFile('svc');
    record(file, 'tool', observe('tool', [tool('a', 'A'), tool('b', 'B')]), true, 'alice', 't0');
    expect(compare(file, 'tool', observe('tool', [tool('a', 'A')]), false).changes).toEqual([]);
  });
});
