/** Sockets of this machine seen in /proc/net/tcp{,6}. */
import { readFileSync } from 'node:fs';

/** TCP sockets on local `port` in a state (0A = LISTEN, 08 = CLOSE-WAIT, 01 = ESTABLISHED). */
export function socketsInState(port: number, state: string): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === state) n += 1;
    }
  }
  return n;
}
