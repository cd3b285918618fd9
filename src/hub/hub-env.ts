/** The hono environment of the Hub's app: node-server bindings and the authenticated caller. */
import type { HttpBindings } from '@hono/node-server';
import type { Caller } from './auth.js';

export interface HubEnv {
  Bindings: HttpBindings;
  Variables: { caller: Caller };
}
