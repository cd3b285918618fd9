/**
 * `tlsmcp init`: creates the local root CA in the state dir (key 0600). Never
 * replaces an existing CA unless --force, and then moves the old one aside.
 * With --hub-url it enrolls the instance with a Hub instead (hub-enroll.ts).
 */
import { X509Certificate } from 'node:crypto';
import { Option, type Command } from 'commander';
import { statePaths } from '../../state/state-dir.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { runWithCa } from './cert/shared.js';
import { enrollWithHub, type HubEnrollOptions } from './hub-enroll.js';

const INIT_KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;

interface InitOptions extends HubEnrollOptions {
  keyType: (typeof INIT_KEY_TYPES)[number];
  force?: boolean;
  json?: boolean;
}

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the local certificate authority in the state dir')
    .addOption(new Option('--key-type <type>', 'CA key type').choices(INIT_KEY_TYPES).default('ecdsa-p256'))
    .option('--force', 'replace an existing CA (the old one is moved aside; certificates it issued stop validating)')
    .option('--json', 'print the result as JSON')
    .option('--hub-url <url>', 'enroll with a Hub instead of creating a local CA (https://HOST:PORT)')
    .option('--service-id <id>', 'with --hub-url: the service this instance serves')
    .option('--token <token>', 'with --hub-url: the enrollment token from `tlsmcp hub token create`')
    .action(async (opts: InitOptions, cmd: Command) =>
      opts.hubUrl ? enrollWithHub(ctx, cmd, opts) : runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca, stateDir }) => {
        const result = await ca.init({ keyType: opts.keyType, force: Boolean(opts.force) });
        const paths = statePaths(stateDir);
        const cert = new X509Certificate(result.caCertPem);
        const summary = {
          created: result.created,
          state_dir: stateDir,
          ca_cert: paths.caCert,
          ca_key: paths.caKey,
          subject: cert.subject.replace(/\n/g, ', '),
          not_after: new Date(cert.validTo).toISOString(),
          fingerprint_sha256: cert.fingerprint256,
          ...(result.replaced ? { replaced: result.replaced } : {}),
        };
        if (opts.json) {
          printJson(ctx.io, summary);
          return;
        }
        if (!result.created) {
          printLine(ctx.io, `a certificate authority already exists in ${stateDir}; left it unchanged (use --force to replace it)`);
          printLine(ctx.io, `  ca cert    ${paths.caCert}`);
          printLine(ctx.io, `  sha256     ${summary.fingerprint_sha256}`);
          return;
        }
        printLine(ctx.io, `created a certificate authority (${opts.keyType}) in ${stateDir}`);
        printLine(ctx.io, `  ca cert    ${paths.caCert} (give this to clients and servers to trust)`);
        printLine(ctx.io, `  ca key     ${paths.caKey} (0600)`);
        printLine(ctx.io, `  expires    ${summary.not_after}`);
        printLine(ctx.io, `  sha256     ${summary.fingerprint_sha256}`);
        if (result.replaced) printLine(ctx.io, `  replaced   the old CA was moved to ${result.replaced}; certificates it issued no longer validate`);
      }),
    );
}
