/** The MCP front's public surface: the front itself and what callers configure it with. */
export { createMcpFront, type McpFront, type McpFrontOptions, type McpFrontStats } from './front.js';
export type { McpFrontTls } from './tls-options.js';
export { createAuthorizer, type Authorizer, type AgentPolicy, type Decision } from './policy.js';
export type { PeerIdentity } from './peer-identity.js';
