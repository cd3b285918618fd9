/** `tlsmcp init --hub-url URL --service-id ID --token TOKEN`: enrolls this state dir with a Hub (key made here, CSR signed there, CA pinned). */
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import { enrollInstance } from '../../hub/enroll.js';
import { sidecarHubPaths } from '../../hub/sidecar-files.js';
import { defaultServerNames } from '../../supervisor/tls-material.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';

export interface HubEnrollOptions {
  hubUrl?: string;
  serviceId?: string;
  token?: string;
  json?: boolean;
}

export async function enrollWithHub(ctx: CliContext, cmd: Command, opts: HubEnrollOptions): Promise<void> {
  await ctx.run(cmd, Boolean(opts.json), async () => {
    if (!opts.token) throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--hub-url needs --token', { fix: 'ask a Hub admin for one: tlsmcp hub token create --service-id ID' });
    let url: URL;
    try {
      url = new URL(opts.hubUrl!);
    } catch {
      throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--hub-url: "${opts.hubUrl}" is not a URL`, { fix: 'write https://HOST:PORT' });
    }
    if (url.protocol !== 'https:') throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--hub-url: "${opts.hubUrl}" is not https`, { fix: 'write https://HOST:PORT' });
    const config = ctx.loadConfig(cmd);
    const stateDir = ctx.stateDir(cmd, config);
    const names = config.services.filter((s) => s.mode === 'server').map(defaultServerNames);
    const serverNames = names.length > 0 ? { dns: [...new Set(names.flatMap((n) => n.dns))], ip: [...new Set(names.flatMap((n) => n.ip))] } : undefined;
    const outcome = await enrollInstance({ hubUrl: url.toString().replace(/\/$/, ''), token: opts.token, serviceId: opts.serviceId ?? config.service_id, stateDir, serverNames, logger: ctx.logger(cmd) });
    const paths = sidecarHubPaths(stateDir);
    const summary = { enrolled: outcome.enrolled, state_dir: stateDir, ...outcome.enrollment, hub_ca: paths.ca, hub_ca_sha256: outcome.ca_sha256, server_cert: paths.serverCert, key: paths.key };
    if (opts.json) return printJson(ctx.io, summary);
    printLine(ctx.io, outcome.enrolled ? `enrolled with the Hub at ${summary.hub_url} as instance ${summary.instance_id} of service ${summary.service_id}` : `${stateDir} is already enrolled (instance ${summary.instance_id}); left it unchanged`);
    printLine(ctx.io, `  hub ca      ${paths.ca} (sha256 ${outcome.ca_sha256})`);
    printLine(ctx.io, `  server cert ${paths.serverCert}`);
    printLine(ctx.io, `  key         ${paths.key} (0600, made here)`);
    printLine(ctx.io, `next: set hub: { url: ${summary.hub_url} } in the config and run \`tlsmcp run\``);
  });
}
