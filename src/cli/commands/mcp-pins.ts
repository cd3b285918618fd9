/**
 * `tlsmcp mcp pins list|approve|reset`: the tool-definition pins of MCP front
 * services in the state dir, their pending changes with a diff, accepting the
 * backend's current definitions, and forgetting the pins of a service.
 */
import type { Command } from 'commander';
import { approvePins, listPins, resetPins, type ServicePins } from '../../mcp-front/pinning-admin.js';
import type { CliContext } from '../context.js';
import { printJson, printLine, printTable } from '../output.js';

function printPins(ctx: CliContext, all: ServicePins[]): void {
  if (all.length === 0) {
    printLine(ctx.io, 'no pins yet: a protocol: mcp service pins its backend\'s definitions at the first session');
    return;
  }
  for (const s of all) {
    printLine(ctx.io, `service ${s.service}: ${s.pins.length} pinned, ${s.pending.length} pending`);
    printTable(ctx.io, ['KIND', 'NAME', 'HASH', 'PINNED AT'], s.pins.map((p) => [p.kind, p.name, p.hash.slice(0, 19), p.pinned_at]));
    for (const c of s.pending) {
      printLine(ctx.io, `  pending: ${c.kind} ${c.name} ${c.change} (seen by ${c.seen_by.join(', ')}, last ${c.last_seen})`);
      for (const line of c.diff) printLine(ctx.io, `    ${line}`);
    }
  }
}

export function registerMcpPinsCommand(mcp: Command, ctx: CliContext): void {
  const pins = mcp.command('pins').description('tool-definition pins of MCP front services: list, approve changes, reset');
  pins
    .command('list')
    .description('show pinned tools, prompts and resource templates and pending changes with their diff')
    .option('--service <name>', 'one service')
    .option('--json', 'print JSON')
    .action(async (opts: { service?: string; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), () => {
        const all = listPins(ctx.stateDir(cmd, ctx.loadConfig(cmd)), opts.service);
        if (opts.json) printJson(ctx.io, { services: all });
        else printPins(ctx, all);
      }),
    );
  pins
    .command('approve <service>')
    .description("accept the backend's current definitions (all pending changes, or one with --tool)")
    .option('--tool <name>', 'only this tool, prompt or resource template')
    .option('--json', 'print JSON')
    .action(async (service: string, opts: { tool?: string; json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const result = await approvePins(ctx.stateDir(cmd, ctx.loadConfig(cmd)), service, opts.tool, new Date());
        if (opts.json) printJson(ctx.io, result);
        else printLine(ctx.io, `approved ${result.approved.join(', ')} on service ${service}; live sessions use them from their next call`);
      }),
    );
  pins
    .command('reset <service>')
    .description('forget every pin of a service: the next session pins what the backend then serves')
    .option('--json', 'print JSON')
    .action(async (service: string, opts: { json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        const result = await resetPins(ctx.stateDir(cmd, ctx.loadConfig(cmd)), service);
        if (opts.json) printJson(ctx.io, result);
        else printLine(ctx.io, `forgot the pins of service ${service}`);
      }),
    );
}
