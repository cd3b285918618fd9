/**
 * What the native data path does not do, said once for the config check
 * (src/config/normalize.ts) and for the worker (./native-proxy.ts): it is a
 * server-mode TCP byte pipe with a required, verified client certificate.
 */
import type { WorkerSpec } from '../protocol/messages.js';

/** The first unsupported setting of a spec, named as in the config, or undefined. */
export function nativeUnsupported(spec: Pick<WorkerSpec, 'mode' | 'http' | 'mcp' | 'proxy_protocol' | 'alpn' | 'tls_profile' | 'mtls'>): string | undefined {
  if (spec.mode !== 'server') return 'mode: client';
  if (spec.mcp) return 'protocol: mcp';
  if (spec.http) return 'backend.protocol: http';
  if (spec.proxy_protocol) return 'backend.proxy_protocol';
  if (spec.alpn?.length) return 'listen.alpn (nor ACME tls-alpn-01 on this listener)';
  if (spec.tls_profile === 'fips') return 'listen.tls_profile: fips';
  if (spec.mtls.mode !== 'required') return `mtls.mode: ${spec.mtls.mode} (only required)`;
  return undefined;
}
