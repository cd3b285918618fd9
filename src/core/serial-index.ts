/**
 * What a listener holds open, by certificate serial: the one place a
 * revocation finds the live connections (and MCP sessions) to cut, for every
 * listener kind.
 */
export interface SerialIndex<T> {
  add(serial: string, item: T): void;
  delete(serial: string, item: T): void;
  /** Removes and returns everything held for these serials (normalized). */
  take(serials: Iterable<string>): T[];
  /** The serials with something held (the score reads which certificates are in live use). */
  keys(): string[];
  readonly size: number;
}

export function createSerialIndex<T>(): SerialIndex<T> {
  const bySerial = new Map<string, Set<T>>();
  let size = 0;
  return {
    add(serial, item) {
      let set = bySerial.get(serial);
      if (!set) bySerial.set(serial, (set = new Set()));
      if (!set.has(item)) size += 1;
      set.add(item);
    },
    delete(serial, item) {
      const set = bySerial.get(serial);
      if (!set?.delete(item)) return;
      size -= 1;
      if (set.size === 0) bySerial.delete(serial);
    },
    keys: () => [...bySerial.keys()],
    take(serials) {
      const out: T[] = [];
      for (const serial of serials) {
        const set = bySerial.get(serial);
        if (!set) continue;
        bySerial.delete(serial);
        size -= set.size;
        out.push(...set);
      }
      return out;
    },
    get size() {
      return size;
    },
  };
}
