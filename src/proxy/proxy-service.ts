/**
 * Picks the proxy for a spec's mode and data path: the one decision, used two
 * ways. Worker threads load only the listener their spec needs
 * (`loadProxyService`): a TCP worker never loads the HTTP mode's undici pool
 * (+23 MB per worker thread, bench/PROFILE.md) nor the native addon. Tests and
 * in-process embedders use `createProxyService`, which has them all loaded.
 */
import { createHttpProxy } from '../http-proxy/http-proxy.js';
import { createNativeProxy } from '../native/native-proxy.js';
import { createClientProxy } from './client-proxy.js';
import { createServerProxy } from './server-proxy.js';
import { listenerFor } from './listener-kind.js';
import type { ProxyService, ProxyServiceOptions } from './types.js';

export type { ProxyService, ProxyServiceOptions } from './types.js';

export function createProxyService(options: ProxyServiceOptions): ProxyService {
  switch (listenerFor(options.spec)) {
    case 'native':
      return createNativeProxy(options);
    case 'client':
      return createClientProxy(options);
    case 'http':
      return createHttpProxy(options);
    case 'server':
      return createServerProxy(options);
  }
}
