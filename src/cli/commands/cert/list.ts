/** `tlsmcp cert list`: every issued certificate with its status and days left. */
import { Option, type Command } from 'commander';
import type { CertStatus, CertType } from '../../../ca/index.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine, printTable } from '../../output.js';
import { jobOf, jobOu, parseJobOption } from './job.js';
import { runWithCa } from './shared.js';

interface ListOptions {
  service?: string;
  job?: string;
  status?: CertStatus;
  type?: CertType;
  json?: boolean;
}

export function registerCertListCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('list')
    .description('list issued certificates: status valid | expiring | expired | revoked, and days left')
    .option('--service <name>', 'only this service')
    .option('--job <id>', 'only the certificates of this CI job (`tlsmcp cert issue --job`)', parseJobOption)
    .addOption(new Option('--status <status>', 'only this status').choices(['valid', 'expiring', 'expired', 'revoked']))
    .addOption(new Option('--type <type>', 'only client or server certificates').choices(['client', 'server']))
    .option('--json', 'print the records as JSON')
    .action(async (opts: ListOptions, cmd: Command) =>
      runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca, stateDir }) => {
        const all = await ca.list({ service: opts.service, status: opts.status, type: opts.type });
        const certs = (opts.job ? all.filter((c) => c.ou === jobOu(opts.job!)) : all).map((c) => {
          const job = jobOf(c);
          return job ? { ...c, job } : c;
        });
        if (opts.json) {
          printJson(ctx.io, { state_dir: stateDir, ...(opts.job ? { job: opts.job } : {}), certs });
          return;
        }
        if (certs.length === 0) {
          printLine(ctx.io, `no certificates${opts.service ? ` for service ${opts.service}` : ''}${opts.job ? ` for job ${opts.job}` : ''} in ${stateDir}`);
          return;
        }
        const withJobs = certs.some((c) => 'job' in c);
        printTable(
          ctx.io,
          ['ID', 'TYPE', 'SERVICE', 'CN', ...(withJobs ? ['JOB'] : []), 'STATUS', 'DAYS LEFT', 'EXPIRES'],
          certs.map((c) => [
            c.id,
            c.type,
            c.service,
            c.cn,
            ...(withJobs ? [jobOf(c) ?? '-'] : []),
            c.status,
            c.status === 'expired' || c.status === 'revoked' ? '-' : String(c.days_left),
            c.not_after,
          ]),
        );
      }),
    );
}
