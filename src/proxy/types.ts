/**
 * What a proxy worker runs, independent of worker_threads: one listener for
 * one service, in server mode (mTLS in, TCP out) or client mode (TCP in, mTLS
 * out). The worker runner drives it over messages; tests drive it directly.
 */
import type { RevocationFeed } from '../core/revocation.js';
import type { Logger } from '../logger.js';
import type { ConnectionEvent, TlsMaterial, WorkerSpec, WorkerStats } from '../protocol/messages.js';

export interface ProxyServiceOptions {
  spec: WorkerSpec;
  material: TlsMaterial;
  /** The worker's revoked serials: refused at handshake time; the service cuts live connections of new ones. */
  revocations: RevocationFeed;
  logger: Logger;
  /** One call per finished or refused connection. Keep it cheap: it runs on the hot path. */
  onEvent: (event: ConnectionEvent) => void;
}

export interface ProxyService {
  /** Binds the listener; resolves with the real address (port 0 resolved). */
  listen(): Promise<{ host: string; port: number }>;
  /** Swaps TLS context, policy and limits for new connections; live ones carry on. Returns what was applied. */
  reload(spec: WorkerSpec, material: TlsMaterial): string[];
  /** While false, new clients are refused at once (backend health check). */
  setBackendReady(ready: boolean): void;
  stats(): WorkerStats;
  /** Stops accepting, waits for live connections up to the deadline, cuts the rest; returns how many were cut. */
  drain(deadlineMs: number): Promise<number>;
  /** Server mode: answer (or stop answering) ACME TLS-ALPN-01 for a domain on this listener (./acme-alpn.ts). */
  acmeChallenge?(domain: string, pems: { certPem: string; keyPem: string } | undefined): void;
}

/** Which settings of a new spec a running listener can take live. */
export function diffSpecs(current: WorkerSpec, next: WorkerSpec): { applied: string[]; needsRestart: string[] } {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(current.mtls, next.mtls)) applied.push('policy');
  if (!same(current.limits, next.limits)) applied.push('limits');
  if (!same(current.backend, next.backend) || current.server_name !== next.server_name || current.proxy_protocol !== next.proxy_protocol) applied.push('backend');
  if (!same(current.alpn, next.alpn)) applied.push('alpn');
  if (current.protocol !== next.protocol || current.ciphers !== next.ciphers || current.ciphersuites !== next.ciphersuites || current.tls_profile !== next.tls_profile) applied.push('tls');
  if (current.listen.host !== next.listen.host || (next.listen.port !== 0 && current.listen.port !== next.listen.port)) needsRestart.push('listen.address');
  if (current.mode !== next.mode) needsRestart.push('mode');
  if (!same(current.health_check, next.health_check)) needsRestart.push('backend.health_check');
  return { applied, needsRestart };
}
