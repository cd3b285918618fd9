/**
 * The native data path addon (native/, a Node-API module against the OpenSSL
 * that Node bundles): its shape for TypeScript, and the loader. The addon is
 * context-aware, so each worker thread loads its own instance; it runs on the
 * loading thread's libuv loop and calls back synchronously on that thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TlsmcpError } from '../errors.js';

/**
 * Called after a completed handshake with the peer's certificate (DER); true lets the connection through.
 * `resumed`: a session ticket was accepted, so OpenSSL did not verify the certificate in this handshake.
 */
export type NativeAdmit = (id: number, der: Buffer, peer: string, handshakeMs: number, resumed: boolean) => boolean;

/**
 * `refused`: the socket ended before admission (`reason` is `verify` with Node's
 * verify code in `detail`, or a reject reason); `closed`: an admitted connection
 * ended (`reason` is `backend_dial_failed` when the backend was never reached).
 */
export type NativeEvent = (kind: 'refused' | 'closed', id: number, peer: string, reason: string, detail: string, bytesIn: number, bytesOut: number, handshakeMs: number) => void;

export interface NativeListener {
  /** Binds and listens on a numeric IP; returns the bound port. */
  bind(host: string, port: number, reusePort: boolean): number;
  /** A new SSL_CTX for new handshakes; throws ERR_NATIVE_TLS with OpenSSL's reason. */
  setContext(certPem: string, keyPem: string, caPem: string, crlPem: string, minTls12: boolean, ciphers: string, ciphersuites: string): void;
  setLimits(handshakeMs: number, idleMs: number, dialMs: number, maxConnections: number): void;
  /** The backend as a numeric IP. */
  setBackend(ip: string, port: number): void;
  /** Refuse new sockets at accept with this reason ('' accepts again). */
  setRefuse(reason: '' | 'draining' | 'backend_unavailable'): void;
  /** Cuts an admitted connection; its `closed` event still follows. */
  cut(id: number): boolean;
  stopAccepting(): void;
  /** Stops accepting and cuts everything; events of the cut connections follow. */
  close(): void;
  /** [pending handshakes, admitted connections] */
  counts(): [number, number];
}

export interface NativeAddon {
  Listener: new (admit: NativeAdmit, event: NativeEvent) => NativeListener;
  /** glibc's malloc_trim(0): the C heap's free memory back to the OS (all threads' arenas); true when some was released. */
  trimMalloc(): boolean;
  /** The OpenSSL version the addon was compiled against. */
  opensslHeaders: string;
}

const FILE = 'tlsmcp_native.node';

/**
 * Where the built addon is: native/build/Release/ at the package root, two
 * levels above src/native/ when run from source (tsx) and three above
 * dist/src/native/ when built. The first that exists wins; else the source layout's.
 */
export function defaultAddonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')].map((root) => join(root, 'native', 'build', 'Release', FILE));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/**
 * Whether the addon loads here (data_path: auto picks the native path only
 * then): built, and for this platform and runtime. Loading it in the
 * supervisor costs nothing new, since the supervisor loads it anyway to trim
 * malloc after start (src/util/malloc-trim.ts).
 */
export function nativeAddonLoads(path: string = defaultAddonPath()): boolean {
  try {
    loadNativeAddon(path);
    return true;
  } catch {
    return false;
  }
}

/** Loads the addon; ERR_NATIVE_UNAVAILABLE with the fix when it is not built or does not load. */
export function loadNativeAddon(path: string = defaultAddonPath()): NativeAddon {
  const fix = 'run `npm run build:native` in the tlsmcp directory (needs g++, make and python3), or set data_path: js';
  if (!existsSync(path)) {
    throw new TlsmcpError('ERR_NATIVE_UNAVAILABLE', `data_path: native needs the native data path addon, and ${path} does not exist`, { fix });
  }
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    throw new TlsmcpError('ERR_NATIVE_UNAVAILABLE', `data_path: native: the addon ${path} does not load: ${(err as Error).message}`, { fix, cause: err });
  }
}
