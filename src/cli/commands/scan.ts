/**
 * `tlsmcp scan HOST:PORT`: scan a TLS endpoint and print the grade, protocols,
 * suites, chain and findings with fixes (or the report as JSON). Exits 0 when
 * the scan ran, whatever the grade; non-zero for bad arguments or a target that
 * scan.allow/scan.deny refuses.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TlsmcpError } from '../../errors.js';
import { renderScanText, scanTarget } from '../../scan/index.js';
import { statePaths } from '../../state/state-dir.js';
import { parseDuration } from '../../util/duration.js';
import { parseHostPort } from '../../util/address.js';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';

interface ScanFlags {
  sni?: string;
  ca?: string;
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

export function parseScanTarget(text: string): { host: string; port: number } {
  // A bare host or [v6] gets port 443; anything else must be host:port as parseHostPort reads it.
  const withPort = /^\[.*\]$/.test(text) || !text.includes(':') ? `${text}:443` : text;
  const parsed = parseHostPort(withPort);
  if (!parsed.ok) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `HOST:PORT: ${parsed.error}`, { fix: 'pass e.g. api.example.com:443, 10.0.0.5:8443 or [::1]:8443' });
  return parsed.value;
}

export function registerScanCommand(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description("scan a host's TLS posture: protocols, suites, chain, client auth, findings with fixes, and an SSL Labs-style grade")
    .argument('<target>', 'HOST:PORT to scan (port defaults to 443)')
    .option('--sni <name>', 'server name to send and to check the certificate against (default: the host)')
    .option('--ca <file>', 'extra trust anchor(s), PEM (default: the state dir CA, when there is one)')
    .option('--cert <file>', 'client certificate to present, PEM (with --key)')
    .option('--key <file>', 'client private key, PEM (with --cert)')
    .option('--probe-timeout <duration>', 'timeout per probe (default: config scan.probe_timeout, 5s)')
    .option('--deadline <duration>', 'deadline for the whole scan (default: config scan.deadline, 60s)')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, flags: ScanFlags, cmd: Command) =>
      ctx.run(cmd, flags.json === true, async () => {
        const { host, port } = parseScanTarget(target);
        if ((flags.cert === undefined) !== (flags.key === undefined)) {
          throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--cert and --key go together: one was given without the other', { fix: 'pass both --cert FILE and --key FILE, or neither' });
        }
        const config = ctx.loadConfig(cmd);
        let caPem = flags.ca ? readArgFile(flags.ca, '--ca') : undefined;
        if (caPem === undefined) {
          const stateCa = statePaths(ctx.stateDir(cmd, config)).caCert;
          if (existsSync(stateCa)) caPem = readFileSync(stateCa, 'utf8');
        }
        const report = await scanTarget(
          {
            host,
            port,
            sni: flags.sni,
            caPem,
            clientCertPem: flags.cert ? readArgFile(flags.cert, '--cert') : undefined,
            clientKeyPem: flags.key ? readArgFile(flags.key, '--key') : undefined,
            probeTimeoutMs: durationFlag(flags.probeTimeout, '--probe-timeout') ?? config.scan.probe_timeout,
            deadlineMs: durationFlag(flags.deadline, '--deadline') ?? config.scan.deadline,
            policy: { allow: config.scan.allow, deny: config.scan.deny },
          },
          { logger: ctx.logger(cmd, config) },
        );
        if (flags.json) printJson(ctx.io, report);
        else for (const line of renderScanText(report)) printLine(ctx.io, line);
        return 0;
      }),
    );
}
