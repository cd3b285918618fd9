/** The hono environment of the Hub's app: node-server bindings and the authenticated caller. */
import type { HttpBindings } from '@hono/node-server';
import type { Instance } from './types.js';

/** Who called: an admin (CN listed in the Hub config) or an enrolled instance (by its certificate serial). */
export type Caller = { kind: 'admin'; cn: string; serial: string } | { kind: 'instance'; instance: Instance; serial: string };

export interface HubEnv {
  Bindings: HttpBindings;
  Variables: { caller: Caller };
}
