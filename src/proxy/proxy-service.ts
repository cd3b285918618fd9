/** Picks the proxy for a spec's mode and data path. */
import { createHttpProxy } from '../http-proxy/http-proxy.js';
import { createNativeProxy } from '../native/native-proxy.js';
import { createClientProxy } from './client-proxy.js';
import { createServerProxy } from './server-proxy.js';
import type { ProxyService, ProxyServiceOptions } from './types.js';

export type { ProxyService, ProxyServiceOptions } from './types.js';

export function createProxyService(options: ProxyServiceOptions): ProxyService {
  // data_path: native is a server-mode byte pipe; the config refuses it with anything else.
  if (options.spec.data_path === 'native') return createNativeProxy(options);
  if (options.spec.mode === 'client') return createClientProxy(options);
  // backend.protocol: http gets the HTTP-aware listener; everything else is the byte pipe.
  return options.spec.http ? createHttpProxy(options) : createServerProxy(options);
}
