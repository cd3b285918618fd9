/** Which listener serves a spec, and loading only that one (for worker threads). */
import type { WorkerSpec } from '../protocol/messages.js';
import type { ProxyService, ProxyServiceOptions } from './types.js';

export type ListenerKind = 'native' | 'client' | 'http' | 'server';

export function listenerFor(spec: Pick<WorkerSpec, 'data_path' | 'mode' | 'http'>): ListenerKind {
  // data_path: native is a server-mode byte pipe; the config refuses it with anything else.
  if (spec.data_path === 'native') return 'native';
  if (spec.mode === 'client') return 'client';
  // backend.protocol: http gets the HTTP-aware listener; everything else is the byte pipe.
  return spec.http ? 'http' : 'server';
}

/** Imports only the module of the spec's listener, then creates it. */
export async function loadProxyService(options: ProxyServiceOptions): Promise<ProxyService> {
  switch (listenerFor(options.spec)) {
    case 'native':
      return (await import('../native/native-proxy.js')).createNativeProxy(options);
    case 'client':
      return (await import('./client-proxy.js')).createClientProxy(options);
    case 'http':
      return (await import('../http-proxy/http-proxy.js')).createHttpProxy(options);
    case 'server':
      return (await import('./server-proxy.js')).createServerProxy(options);
  }
}
