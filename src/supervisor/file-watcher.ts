/**
 * Watches certificate and key files named in the config and calls back
 * (debounced) when any changes: tools like cert-manager or certbot replace
 * them by rename, so the parent directory is watched, not the file.
 */
import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export interface FileWatcher {
  close(): void;
}

export function watchFiles(files: string[], onChange: () => void, { debounceMs = 100, pollMs = 1_000 } = {}): FileWatcher {
  const absolute = [...new Set(files.map((f) => resolve(f)))];
  const byDir = new Map<string, Set<string>>();
  for (const file of absolute) {
    const set = byDir.get(dirname(file)) ?? new Set<string>();
    set.add(basename(file));
    byDir.set(dirname(file), set);
  }
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        if (!filename || names.has(filename)) fire();
      });
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // polling below still notices
    }
  }
  for (const file of absolute) watchFile(file, { interval: pollMs, persistent: false }, (cur, prev) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) fire();
  });
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const file of absolute) unwatchFile(file);
    },
  };
}
