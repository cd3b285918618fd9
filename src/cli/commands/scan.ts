/**
 * `tlsmcp scan TARGET`: scan a TLS endpoint (HOST[:PORT], [IPv6]:PORT or an
 * https:// URL whose path the HTTP checks use) and print the grade, protocols,
 * suites, chain and findings with fixes (or the report as JSON). Progress goes
 * to stderr, one line per probe group (a bar on a terminal). Exits 0 when
 * the scan ran, whatever the grade; non-zero for bad arguments or a target that
 * scan.allow/scan.deny refuses.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import { renderScanText, scanTarget } from '../../scan/index.js';
import { statePaths } from '../../state/state-dir.js';
import { parseScanTarget } from '../../scan/target.js';
import { parseDuration } from '../../util/duration.js';
import type { CliContext } from '../context.js';
import { createCliProgress } from '../progress-line.js';
import { printJson, printLine } from '../output.js';

interface ScanFlags {
  sni?: string;
  ca?: string;
  intermediates?: string;
  aia: boolean;
  progress: boolean;
  cert?: string;
  key?: string;
  json?: boolean;
  probeTimeout?: string;
  deadline?: string;
}

function readArgFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${flag} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      fix: `pass a readable PEM file to ${flag}`,
    });
  }
}

function durationFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${flag} "${text}" is not a duration`, { fix: `write e.g. ${flag} 3s or ${flag} 500ms` });
  return ms;
}

export function registerScanCommand(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description("scan a host's TLS posture: protocols, suites, chain, client auth, findings with fixes, and an SSL Labs-style grade")
    .argument('<target>', 'HOST[:PORT], [IPv6]:PORT, or https://HOST[:PORT]/PATH (HSTS is checked on that path); port defaults to 443')
    .option('--sni <name>', 'server name to send and to check the certificate against (default: the host)')
    .option('--ca <file>', 'extra trust anchor(s), PEM (default: the state dir CA, when there is one)')
    .option('--intermediates <file>', 'intermediate certificates, PEM, that may complete a chain the server sends incomplete')
    .option('--no-aia', "do not fetch a missing issuer from the certificate's AIA caIssuers URL")
    .option('--no-progress', 'no progress on stderr')
    .option('--cert <file>', 'client certificate to present, PEM (with --key)')
    .option('--key <file>', 'client private key, PEM (with --cert)')
    .option('--probe-timeout <duration>', 'timeout per probe (default: config scan.probe_timeout, 5s)')
    .option('--deadline <duration>', 'deadline for the whole scan (default: config scan.deadline, 60s)')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, flags: ScanFlags, cmd: Command) =>
      ctx.run(cmd, flags.json === true, async () => {
        const { host, port, path } = parseScanTarget(target, 'target');
        if ((flags.cert === undefined) !== (flags.key === undefined)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--cert and --key go together: one was given without the other', { fix: 'pass both --cert FILE and --key FILE, or neither' });
        }
        const config = ctx.loadConfig(cmd);
        let caPem = flags.ca ? readArgFile(flags.ca, '--ca') : undefined;
        if (caPem === undefined) {
          const stateCa = statePaths(ctx.stateDir(cmd, config)).caCert;
          if (existsSync(stateCa)) caPem = readFileSync(stateCa, 'utf8');
        }
        const progress = flags.progress ? createCliProgress(ctx.io.stderr, 'scan') : undefined;
        const report = await scanTarget(
          {
            host,
            port,
            path,
            sni: flags.sni,
            caPem,
            intermediatesPem: flags.intermediates ? readArgFile(flags.intermediates, '--intermediates') : undefined,
            fetchAia: flags.aia,
            clientCertPem: flags.cert ? readArgFile(flags.cert, '--cert') : undefined,
            clientKeyPem: flags.key ? readArgFile(flags.key, '--key') : undefined,
            probeTimeoutMs: durationFlag(flags.probeTimeout, '--probe-timeout') ?? config.scan.probe_timeout,
            deadlineMs: durationFlag(flags.deadline, '--deadline') ?? config.scan.deadline,
            policy: { allow: config.scan.allow, deny: config.scan.deny },
          },
          { logger: ctx.logger(cmd, config), onProgress: progress?.listener },
        ).finally(() => progress?.end());
        if (flags.json) printJson(ctx.io, report);
        else for (const line of renderScanText(report)) printLine(ctx.io, line);
        return 0;
      }),
    );
}
