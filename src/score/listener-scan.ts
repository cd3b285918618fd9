/**
 * How the score scans tlsmcp's own listeners, shared by the CLI and the MCP
 * tool: short timeouts, the local CA as anchor, and the probes marked as the
 * score's (a dedicated source address registered with the running instance)
 * so they do not count as rejected clients. Also: the config with port 0
 * replaced by the port each running listener really bound.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { scanTarget } from '../scan/index.js';
import { parseHostPort } from '../util/address.js';
import type { ListenerScanResult } from './collect.js';
import { probeSourceFor } from './probe-marks.js';

export const LISTENER_PROBE_TIMEOUT_MS = 1_500;
export const LISTENER_DEADLINE_MS = 15_000;

/** Registers a probe source with the running instance; resolves a release function (a no-op when nothing runs). */
export type MarkProbes = (peer: string) => Promise<() => Promise<void>>;

export interface ListenerScannerOptions {
  caPem: string | undefined;
  logger: Logger;
  markProbes: MarkProbes | undefined;
}

export function createListenerScanner(o: ListenerScannerOptions): (service: unknown, host: string, port: number) => Promise<ListenerScanResult> {
  return async (_service, host, port) => {
    const { source, peer } = probeSourceFor(host);
    const release = o.markProbes ? await o.markProbes(peer) : async () => undefined;
    try {
      // Our own listeners: scan.allow/scan.deny govern outside targets, not these.
      const r = await scanTarget(
        { host, port, caPem: o.caPem, sourceAddress: source, fetchAia: false, probeTimeoutMs: LISTENER_PROBE_TIMEOUT_MS, deadlineMs: LISTENER_DEADLINE_MS },
        { logger: o.logger },
      );
      return { grade: r.grade?.grade ?? null, ...(r.error ? { note: r.error } : {}) };
    } finally {
      await release();
    }
  };
}

/** The config with port 0 replaced by the port each running listener bound (`listen` as `status` reports it). */
export function withBoundPorts(config: Config, running: { name: string; listen: string }[]): Config {
  const bound = new Map(running.map((s) => [s.name, s.listen]));
  return {
    ...config,
    services: config.services.map((svc) => {
      const listen = bound.get(svc.name);
      const parsed = listen ? parseHostPort(listen) : undefined;
      if (!parsed?.ok || svc.listen.address.port !== 0) return svc;
      return { ...svc, listen: { ...svc.listen, address: { host: svc.listen.address.host, port: parsed.value.port } } };
    }),
  };
}
