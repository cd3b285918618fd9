/**
 * What the bench reads about a proxy from /proc, the same way for every proxy
 * (Node, haproxy, nginx, ghostunnel): CPU time and resident memory of the
 * process and all its descendants (nginx's workers) and threads (tlsmcp's
 * worker threads, haproxy's threads).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Fields of /proc/<pid>/stat after the `(comm)` part, which may itself hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and every live descendant of it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child)) continue;
    const ppid = Number(statFields(child)?.[1]); // field 4 of stat: ppid
    if (!Number.isInteger(ppid)) continue;
    (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(child);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** User + system CPU of a process tree in microseconds (utime, stime: fields 14 and 15 of stat; every thread included). */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Resident memory of a process tree in bytes (VmRSS summed; shared pages of a multi-process server count once per process, which can only overstate it). */
export function rssBytes(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'latin1'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return kb * 1024;
}

/** The hard limit on open files this process (and what it spawns) can have. */
export function openFileLimit(): number {
  const m = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
  return m ? Number(m[1]) : 1024;
}

/** How many sockets listen on a loopback/any IPv4 TCP port (with reusePort, one per worker). */
export function listenSockets(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A `;
  return readFileSync('/proc/net/tcp', 'latin1').split('\n').filter((l) => l.includes(hex)).length;
}
