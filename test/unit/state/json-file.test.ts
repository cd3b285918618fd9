import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../../../src/state/json-file.js';

const schema = z.object({ version: z.literal(1), items: z.array(z.string()) });
const empty = () => ({ version: 1 as const, items: [] });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readJsonFile / writeJsonFile', () => {
  it('returns the empty value for a missing file and round-trips a written one (0600)', () => {
    const file = join(dir, 'x.json');
    expect(readJsonFile(file, schema, empty)).toEqual({ version: 1, items: [] });
    writeJsonFile(file, { version: 1, items: ['a'] });
    expect(readJsonFile(file, schema, empty)).toEqual({ version: 1, items: ['a'] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', '{"version": 1, "items": [', /is not valid JSON/],
    ['the wrong shape', '{"version": 1, "items": [3]}', /does not match the expected shape at items\.0/],
  ])('reports %s as ERR_STATE_CORRUPT naming the file, and leaves it untouched', (_what, text, message) => {
    const file = join(dir, 'x.json');
    writeFileSync(file, text);
    let error: unknown;
    try {
      readJsonFile(file, schema, empty);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ERR_STATE_CORRUPT', message: expect.stringMatching(message) });
    expect((error as Error).message).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
