/**
 * The services an MCP caller can ask about: every service in the config plus
 * every service name the CA inventory has issued certificates for.
 */
import type { McpServerDeps } from './deps.js';

export async function knownServices(deps: Pick<McpServerDeps, 'ca' | 'config'>): Promise<string[]> {
  const names = new Set(deps.config.services.map((s) => s.name));
  if (deps.ca.exists()) for (const cert of await deps.ca.list()) names.add(cert.service);
  return [...names].sort();
}
