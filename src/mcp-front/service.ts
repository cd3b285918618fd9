/**
 * The part of a service's config the MCP front runs on. A full ServiceConfig
 * fits; so does what a worker rebuilds from its spec (src/mcp-front/worker-spec.ts).
 */
import type { ServiceConfig } from '../config/schema.js';

export type McpServiceConfig = Pick<ServiceConfig, 'name' | 'listen' | 'backend' | 'mtls' | 'limits' | 'authorization' | 'audit' | 'path' | 'pinning' | 'rate_limit'>;
