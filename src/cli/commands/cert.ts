/** `tlsmcp cert`: the certificate subcommands, one file each under ./cert/. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerCertInfoCommand } from './cert/info.js';
import { registerCertIssueCommand } from './cert/issue.js';
import { registerCertListCommand } from './cert/list.js';
import { registerCertRenewCommand } from './cert/renew.js';
import { registerCertRevokeCommand } from './cert/revoke.js';

export function registerCertCommand(program: Command, ctx: CliContext): void {
  const cert = program.command('cert').description('issue, list, inspect, renew and revoke certificates of the local CA');
  registerCertIssueCommand(cert, ctx);
  registerCertListCommand(cert, ctx);
  registerCertInfoCommand(cert, ctx);
  registerCertRevokeCommand(cert, ctx);
  registerCertRenewCommand(cert, ctx);
}
