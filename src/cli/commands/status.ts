/**
 * `tlsmcp status [--json]`: each service of the running sidecar, its listener,
 * worker state, connection counts and certificate expiry, from its admin
 * endpoint.
 */
import type { Command } from 'commander';
import type { ServiceStatus } from '../../supervisor/types.js';
import { readAcmeState } from '../../acme/manager.js';
import type { CliContext } from '../context.js';
import { printJson, printLine, printTable } from '../output.js';
import { callAdmin, findRunning, reportNotRunning } from './admin-client.js';

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show each service of the running sidecar: listener, worker state, connections, certificate expiry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      ctx.run(cmd, Boolean(opts.json), async () => {
        let running: ReturnType<typeof findRunning>;
        let services: ServiceStatus[];
        try {
          running = findRunning(ctx, cmd);
          ({ services } = await callAdmin<{ services: ServiceStatus[] }>(running.base, '/status'));
        } catch (err) {
          const code = reportNotRunning(ctx, err, Boolean(opts.json));
          if (code === undefined) throw err;
          return code;
        }
        const { info, base } = running;
        const acme = readAcmeState(ctx.stateDir(cmd, ctx.loadConfig(cmd)));
        if (opts.json) {
          printJson(ctx.io, { pid: info.pid, started_at: info.started_at, admin: base, services, ...(acme ? { acme: acme.services } : {}) });
          return 0;
        }
        printLine(ctx.io, `tlsmcp pid ${info.pid}, up since ${info.started_at}, admin ${base}`);
        printTable(
          ctx.io,
          ['SERVICE', 'MODE', 'LISTEN', 'BACKEND', 'STATE', 'ACTIVE', 'ACCEPTED', 'REJECTED', 'RESTARTS', 'CERT EXPIRES'],
          services.map((s) => [
            s.name,
            s.data_path === 'native' ? `${s.mode} (native)` : s.mode,
            s.listen,
            s.backend,
            s.state_reason ? `${s.state} (${s.state_reason})` : s.state,
            String(s.connections.active),
            String(s.connections.accepted),
            String(s.connections.rejected),
            String(s.worker.restarts),
            s.certificate.not_after ? `${s.certificate.not_after.slice(0, 10)} (${s.certificate.days_left}d, ${s.certificate.source})` : '-',
          ]),
        );
        for (const a of acme?.services ?? []) {
          const state = a.failures > 0 ? `${a.failures} failed attempt${a.failures === 1 ? '' : 's'} (${a.last_error ?? '?'}), next ${a.next_attempt ?? '?'}` : `ok, renews ${a.renew_at ?? '?'}`;
          printLine(ctx.io, `acme ${a.service}: certificate until ${a.not_after ?? '?'}; ${state}`);
        }
        return 0;
      }),
    );
}
