import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultAddonPath } from '../../../src/native/addon.js';
import { trimMalloc } from '../../../src/util/malloc-trim.js';

describe('trimMalloc', () => {
  it('answers with a boolean and never throws: built addon, no addon, a file that is not an addon', () => {
    expect(typeof trimMalloc()).toBe('boolean');
    expect(trimMalloc('/nonexistent/tlsmcp_native.node')).toBe(false);
    expect(trimMalloc(join(import.meta.dirname, 'malloc-trim.test.ts'))).toBe(false);
  });

  it('gives freed C heap back to the OS: the process RSS falls by most of what was freed', () => {
    // A fresh process, so nothing else allocates meanwhile. 16,384 backing stores of 2 KB
    // (malloc'd by Node's ArrayBuffer allocator), every 16th kept: the 30 MB freed lies
    // between live chunks, where free() alone never returns it and only malloc_trim does.
    const script = `
      import { setFlagsFromString } from 'node:v8';
      import { runInNewContext } from 'node:vm';
      import { readFileSync } from 'node:fs';
      const { trimMalloc } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../../src/util/malloc-trim.ts')).href)});
      const rssKb = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc');
      let all = Array.from({ length: 16384 }, () => Buffer.allocUnsafeSlow(2048).fill(1));
      const kept = all.filter((_, i) => i % 16 === 0);
      all = undefined;
      const external = () => process.memoryUsage().arrayBuffers;
      const deadline = Date.now() + 10_000;
      // Backing stores are freed by V8's sweeper, possibly on a helper thread: collect until they are gone.
      while (external() > 4 * 1024 * 1024 && Date.now() < deadline) { gc(); await new Promise((r) => setTimeout(r, 20)); }
      const before = rssKb();
      const released = trimMalloc(${JSON.stringify(defaultAddonPath())});
      const after = rssKb();
      process.stdout.write(JSON.stringify({ released, droppedMb: (before - after) / 1024, kept: kept.length, external: external() }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as { released: boolean; droppedMb: number; kept: number };
    expect(out.kept).toBe(1024);
    expect(out.released).toBe(true);
    expect(out.droppedMb).toBeGreaterThan(15);
  });
});
