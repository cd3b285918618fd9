/**
 * The proxy tools need the supervisor to run in this process. Without it they
 * fail with a message that says how to get one, instead of guessing.
 */
import { TlsmcpError } from '../errors.js';
import type { Supervisor } from '../supervisor/types.js';
import type { McpServerDeps } from './deps.js';

export function requireSupervisor(deps: McpServerDeps, tool: string): Supervisor {
  if (deps.supervisor) return deps.supervisor;
  throw new TlsmcpError('ERR_NOT_RUNNING', `${tool}: no proxy supervisor runs in this MCP server (it was started without services in its config)`, {
    fix: 'start the MCP server with a config that lists services (`tlsmcp-mcp --config FILE` or `tlsmcp mcp serve --config FILE`); a separate `tlsmcp run` is inspected with `tlsmcp status`',
  });
}

/** Checks a service name against what the supervisor runs. */
export function requireKnownService(supervisor: Supervisor, service: string | undefined): void {
  if (service === undefined) return;
  const names = supervisor.status().map((s) => s.name);
  if (!names.includes(service)) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service: "${service}" is not a running service`, {
      fix: `use one of: ${names.join(', ') || '(none)'}`,
    });
  }
}
