/**
 * What every probe module shares: where to dial, the name to send, the client
 * certificate if any, and one limiter and deadline for the whole scan so that
 * probes from every module together stay within the concurrency bound and
 * stop once the deadline has passed.
 */
import { handshake, type HandshakeOptions, type HandshakeResult } from './handshake.js';
import { rawHello, type RawHelloResult, type RawVersion } from './raw-hello.js';
import type { Deadline, Limiter } from './limiter.js';

export type ProbeHandshakeOptions = Omit<HandshakeOptions, 'address' | 'port' | 'servername' | 'timeoutMs' | 'cert' | 'key' | 'localAddress'> & {
  /** Present the scan's client certificate (default true when one was given). */
  withClientCert?: boolean;
};

export interface ProbeContext {
  address: string;
  port: number;
  servername: string | undefined;
  hasClientCert: boolean;
  /** Resolves undefined when the deadline passed before the probe could start. */
  handshake(options: ProbeHandshakeOptions): Promise<HandshakeResult | undefined>;
  rawHello(version: RawVersion, suites: number[]): Promise<RawHelloResult | undefined>;
  deadline: Deadline;
  /** Probes not run because the deadline had passed. */
  skipped(): number;
}

export interface ProbeContextOptions {
  address: string;
  port: number;
  servername: string | undefined;
  clientCert: { cert: string; key: string } | undefined;
  /** Source address for every probe, when one is set. */
  localAddress?: string | undefined;
  probeTimeoutMs: number;
  deadline: Deadline;
  limiter: Limiter;
}

export function createProbeContext(o: ProbeContextOptions): ProbeContext {
  let skipped = 0;
  const guarded = <R>(fn: (timeoutMs: number) => Promise<R>): Promise<R | undefined> =>
    o.limiter.run(async () => {
      const budget = o.deadline.budget(o.probeTimeoutMs);
      if (budget <= 0) {
        skipped++;
        return undefined;
      }
      return fn(budget);
    });
  return {
    address: o.address,
    port: o.port,
    servername: o.servername,
    hasClientCert: o.clientCert !== undefined,
    deadline: o.deadline,
    skipped: () => skipped,
    handshake: ({ withClientCert = true, ...rest }) =>
      guarded((timeoutMs) =>
        handshake({
          ...rest,
          address: o.address,
          port: o.port,
          servername: o.servername,
          localAddress: o.localAddress,
          timeoutMs,
          ...(withClientCert && o.clientCert ? o.clientCert : {}),
        }),
      ),
    rawHello: (version, suites) =>
      guarded((timeoutMs) => rawHello({ address: o.address, port: o.port, servername: o.servername, localAddress: o.localAddress, version, suites, timeoutMs })),
  };
}
