import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/state/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes the content with the exact mode, creating parent dirs', () => {
    const file = join(dir, 'a', 'b', 'key.pem');
    writeFileAtomic(file, 'secret', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileAtomic(join(dir, 'pub.pem'), new Uint8Array([1, 2, 3]));
    expect(statSync(join(dir, 'pub.pem')).mode & 0o777).toBe(0o644);
    expect([...readFileSync(join(dir, 'pub.pem'))]).toEqual([1, 2, 3]);
  });

  it('replaces an existing file whole', () => {
    const file = join(dir, 'inventory.json');
    writeFileSync(file, 'old contents that are longer than the new ones');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['inventory.json']);
  });

  it('leaves the old file and no temp file when the write fails', () => {
    const file = join(dir, 'inventory.json');
    writeFileSync(file, 'old');
    // Not a string or byte array: the write into the temp file throws after it was created.
    expect(() => writeFileAtomic(file, 42 as unknown as string)).toThrow();
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['inventory.json']);
  });

  it('leaves the target and no temp file when the rename fails', () => {
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['inside']);
  });
});
