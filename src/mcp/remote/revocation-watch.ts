/**
 * Follows the CA's revocation list the way the proxy does: polls it every
 * `revocation_refresh`, so a certificate revoked by another process (`tlsmcp
 * cert revoke`) is refused and its sessions cut here too. The revoke tool in
 * this process does not wait for the poll: it adds the serial and cuts directly.
 */
import type { CertificateAuthority } from '../../ca/types.js';
import type { Logger } from '../../logger.js';

export interface RevocationWatch {
  isRevoked(serial: string): boolean;
  /** Refuses these serials from now on, ahead of the revocation list (the revoke tool in this process). */
  add(serials: string[]): void;
  /** Reads the list now; resolves with the serials that were new. */
  refresh(): Promise<string[]>;
  stop(): void;
}

export async function startRevocationWatch(options: {
  ca: CertificateAuthority;
  intervalMs: number;
  logger: Logger;
  onRevoked: (serials: string[]) => Promise<unknown>;
}): Promise<RevocationWatch> {
  const revoked = new Set<string>();
  let stopped = false;
  let running: Promise<string[]> | undefined;

  const readOnce = async (): Promise<string[]> => {
    const fresh: string[] = [];
    for (const entry of await options.ca.revocations()) {
      if (!revoked.has(entry.serial)) {
        revoked.add(entry.serial);
        fresh.push(entry.serial);
      }
    }
    return fresh;
  };
  const refresh = () => {
    running ??= readOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  await refresh(); // what was revoked before we started is refused, not "newly revoked"
  const timer = setInterval(() => {
    refresh()
      .then((fresh) => (fresh.length > 0 && !stopped ? options.onRevoked(fresh) : undefined))
      .catch((err: unknown) => options.logger.warn({ event: 'mcp_revocation_poll_failed', err }, 'could not read the revocation list'));
  }, options.intervalMs);
  timer.unref();

  return {
    isRevoked: (serial) => revoked.has(serial),
    add(serials) {
      for (const serial of serials) revoked.add(serial);
    },
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
