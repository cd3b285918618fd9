/**
 * The embedded default config used when `tlsmcp run` gets no --config: one demo
 * service behind mTLS on loopback, its backend started in-process, and the MCP
 * server on a loopback mTLS listener.
 */
import { parseConfig } from './load.js';
import type { Config } from './schema.js';

export const DEMO_BACKEND_PORT = 18080;

export function embeddedDefaultConfig(): Config {
  return parseConfig(
    {
      version: 1,
      service_id: 'demo',
      listen: { address: '127.0.0.1:8443', protocol: 'tls13' },
      backend: { address: `127.0.0.1:${DEMO_BACKEND_PORT}` },
      mtls: { mode: 'required' },
      // The demo's client certificate (CN demo-client, issued into the state dir)
      // may also call the MCP tools that change state.
      mcp: {
        transport: 'http',
        sse_address: '127.0.0.1:8444',
        authorization: [{ identity: { cn: 'demo-client' }, allow_tools: ['*'] }],
      },
    },
    'embedded defaults',
  );
}
