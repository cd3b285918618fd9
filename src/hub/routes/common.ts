/** What every route file gets, and the shared response pieces of the OpenAPI document. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from '../../logger.js';
import type { FeedBroker } from '../feed-broker.js';
import type { HubEnv } from '../hub-env.js';
import type { HubService } from '../hub-service.js';
import type { WebhookDispatcher } from '../webhooks.js';
import { errorBodySchema } from '../types.js';

export type HubApp = OpenAPIHono<HubEnv>;

export interface RouteDeps {
  service: HubService;
  broker: FeedBroker;
  webhooks: WebhookDispatcher | undefined;
  logger: Logger;
  version: string;
  /** How often the stream sends a keep-alive comment. */
  heartbeatMs: number;
}

const errorContent = { 'application/json': { schema: errorBodySchema } };

/** The error answers every authenticated route may give. */
export const errorResponses = {
  400: { description: 'invalid input; the message names the field', content: errorContent },
  401: { description: 'no valid client certificate from the Hub CA', content: errorContent },
  403: { description: 'the caller may not do this', content: errorContent },
  404: { description: 'no such certificate or resource', content: errorContent },
  409: { description: 'conflicts with the current state', content: errorContent },
} as const;

export const json = <T>(schema: T) => ({ 'application/json': { schema } });
