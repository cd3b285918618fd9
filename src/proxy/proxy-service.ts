/** Picks the proxy for a spec's mode. */
import { createClientProxy } from './client-proxy.js';
import { createServerProxy } from './server-proxy.js';
import type { ProxyService, ProxyServiceOptions } from './types.js';

export type { ProxyService, ProxyServiceOptions } from './types.js';

export function createProxyService(options: ProxyServiceOptions): ProxyService {
  return options.spec.mode === 'client' ? createClientProxy(options) : createServerProxy(options);
}
