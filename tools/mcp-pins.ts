/**
 * `tlsmcp_mcp_pins`: the tool-definition pins of MCP front services (list with
 * pending changes and their diff, approve the backend's current definitions,
 * reset). It changes state (approve, reset), so a remote caller needs an
 * `mcp.authorization` rule granting it; anyone may read tlsmcp://pins/{service_id}.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { TlsmcpError } from '../src/errors.js';
import { approvePins, listPins, resetPins, servicePinsSchema } from '../src/mcp-front/pinning-admin.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { serviceNameInput } from '../src/mcp/schemas.js';
import { registerGuardedTool } from '../src/mcp/tool-kit.js';

const inputSchema = {
  action: z.enum(['list', 'approve', 'reset']).default('list').describe('list pins and pending changes, approve pending changes, or reset (forget) the pins of a service'),
  service: serviceNameInput.optional().describe('the protocol: mcp service; required for approve and reset'),
  tool: z.string().min(1).optional().describe('approve: only this tool, prompt or resource template (default: every pending change)'),
};

const outputSchema = {
  action: z.enum(['list', 'approve', 'reset']),
  /** approve: the pins accepted, as kind:name. */
  approved: z.array(z.string()),
  services: z.array(servicePinsSchema),
};

export function registerMcpPinsTool(server: McpServer, deps: McpServerDeps): void {
  registerGuardedTool(
    server,
    deps,
    {
      name: 'tlsmcp_mcp_pins',
      title: 'MCP tool-definition pins',
      description:
        'Tool-definition pins of MCP front services: each pinned tool, prompt and resource template with its SHA-256, and pending changes ' +
        '(changed, new or removed definitions the front held back or recorded) with a diff and the agents that saw them. ' +
        'action "approve" accepts the current definitions (all, or one with tool), "reset" forgets every pin of the service. ' +
        'Approve only after reading the diff: a changed description is an instruction to every agent behind the front.',
      inputSchema,
      outputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, ctx) => {
      if (args.action !== 'list' && !args.service) {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', `service: required for action "${args.action}"`, { fix: 'pass the name of the protocol: mcp service' });
      }
      if (args.service) ctx.audit.service = args.service;
      if (args.action === 'approve') {
        const { approved, pins } = await approvePins(deps.stateDir, args.service!, args.tool, deps.clock());
        ctx.audit.detail = { approved };
        return { structured: { action: 'approve' as const, approved, services: [pins] }, summary: `Approved ${approved.join(', ')} on service ${args.service}.` };
      }
      if (args.action === 'reset') {
        const pins = await resetPins(deps.stateDir, args.service!);
        return { structured: { action: 'reset' as const, approved: [], services: [pins] }, summary: `Forgot the pins of service ${args.service}; the next session pins afresh.` };
      }
      const services = listPins(deps.stateDir, args.service);
      const pending = services.reduce((n, s) => n + s.pending.length, 0);
      return { structured: { action: 'list' as const, approved: [], services }, summary: `${services.length} service(s) with pins, ${pending} pending change(s).` };
    },
  );
}
