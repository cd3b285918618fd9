/**
 * `tlsmcp cert issue`: a client or server certificate from the local CA, with a
 * key tlsmcp makes or for a CSR the requester signed. Prints the record, never
 * the key. `--job ID` issues a CI job certificate (client by default, TTL
 * capped by client_cert.job_max_ttl); `--output FILE` writes certificate and
 * key to one PEM file, mode 0600.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KEY_TYPES, type CertRecord, type IssueRequest, type IssueResult, type KeyType } from '../../../ca/index.js';
import type { Config } from '../../../config/schema.js';
import { TlsmcpError } from '../../../errors.js';
import { writeFileAtomic } from '../../../state/atomic-write.js';
import { formatDuration } from '../../../util/duration.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine, type CliIo } from '../../output.js';
import { jobOf, jobOu, parseJobOption } from './job.js';
import { collect, collectIp, parseTtlOption, relativeTime, resolvePath, runWithCa } from './shared.js';

interface IssueOptions {
  type?: 'client' | 'server';
  service?: string;
  job?: string;
  output?: string;
  cn?: string;
  org?: string;
  ou?: string;
  dns?: string[];
  ip?: string[];
  uri?: string[];
  ttl?: number;
  keyType?: KeyType;
  csr?: string;
  out?: string;
  p12?: boolean;
  p12Password?: string;
  json?: boolean;
}

export function registerCertIssueCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('issue')
    .description('issue a client or server certificate signed by the local CA')
    .addOption(new Option('--type <type>', 'client (EKU clientAuth) or server (EKU serverAuth); with --job, client by default').choices(['client', 'server']))
    .option('--service <name>', 'the service the certificate belongs to (CN defaults to it); with --job, default "ci"')
    .option('--job <id>', 'a CI job certificate for this job id (e.g. $CI_JOB_ID): client by default, TTL at most client_cert.job_max_ttl (default 4h)', parseJobOption)
    .option('--output <file>', 'also write certificate and key to this one PEM file (mode 0600)')
    .option('--cn <cn>', 'subject common name (default: the service name, or the CSR subject)')
    .option('--org <o>', 'subject organization (O), for policies that match on it')
    .option('--ou <ou>', 'subject organizational unit (OU), for policies that match on it')
    .option('--dns <name>', 'DNS subject alternative name (repeatable)', collect)
    .option('--ip <addr>', 'IP subject alternative name (repeatable)', collectIp)
    .option('--uri <uri>', 'URI subject alternative name, e.g. spiffe://… (repeatable)', collect)
    .option('--ttl <duration>', 'lifetime, e.g. 24h or 30d (default and maximum from client_cert / server_cert in the config)', parseTtlOption)
    .addOption(new Option('--key-type <type>', 'key to generate').choices(KEY_TYPES).default('ecdsa-p256').conflicts('csr'))
    .option('--csr <file>', 'sign this PKCS#10 request instead of making a key (no key.pem is written)')
    .option('--out <dir>', 'write cert.pem, key.pem (0600) and ca.pem here instead of the state dir')
    .addOption(new Option('--p12', 'also write bundle.p12 (certificate, key and CA; PKCS#12)').conflicts('csr'))
    .option('--p12-password <password>', 'password for bundle.p12 (default: $TLSMCP_P12_PASSWORD, else empty)')
    .option('--json', 'print the certificate record as JSON (never the key)')
    .action(async (opts: IssueOptions, cmd: Command) =>
      runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca, config }) => {
        const type = opts.type ?? (opts.job ? 'client' : undefined);
        if (!type) throw new TlsmcpError('ERR_ARGUMENT_INVALID', "required option '--type <type>' not specified", { fix: 'pass --type client or --type server (or --job ID for a CI job client certificate)' });
        const service = opts.service ?? (opts.job ? 'ci' : undefined);
        if (!service) throw new TlsmcpError('ERR_ARGUMENT_INVALID', "required option '--service <name>' not specified", { fix: 'pass --service NAME (the service the certificate belongs to)' });
        if (opts.job && opts.ou) throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--ou cannot be combined with --job: the job id is recorded in the OU', { fix: 'drop --ou' });
        const request: IssueRequest = {
          type,
          service,
          cn: opts.cn ?? (opts.job ? `${service}-job-${opts.job}` : undefined),
          o: opts.org,
          ou: opts.job ? jobOu(opts.job) : opts.ou,
          dns: opts.dns,
          ip: opts.ip,
          uri: opts.uri,
          ttlMs: opts.job ? jobTtl(config, opts.ttl) : opts.ttl,
          keyType: opts.csr ? undefined : opts.keyType,
          csrPem: opts.csr ? readCsr(resolvePath(ctx, opts.csr)) : undefined,
          outDir: opts.out ? resolvePath(ctx, opts.out) : undefined,
          p12: opts.p12,
          p12Password: opts.p12Password ?? ctx.io.env.TLSMCP_P12_PASSWORD ?? '',
        };
        const issued = await ca.issue(request);
        const { record } = issued;
        const output = opts.output ? writeOutputPem(resolvePath(ctx, opts.output), issued) : undefined;
        const job = jobOf(record);
        if (opts.json) printJson(ctx.io, { ...record, ...(job ? { job } : {}), ...(output ? { output } : {}) });
        else {
          printIssued(ctx.io, record, 'issued');
          if (job) printLine(ctx.io, `  job        ${job} (revoke all of its certificates with \`tlsmcp cert revoke --job ${job}\`)`);
          if (output) printLine(ctx.io, `  output     ${output.file} (${output.contains.join(' + ')}, 0600)`);
        }
      }),
    );
}

/** A job certificate's TTL: the request, or the client default, never past client_cert.job_max_ttl. */
function jobTtl(config: Config, requested: number | undefined): number {
  const max = config.client_cert.job_max_ttl;
  if (requested !== undefined && requested > max) {
    throw new TlsmcpError('ERR_CERT_TTL', `--ttl ${formatDuration(requested)} exceeds client_cert.job_max_ttl (${formatDuration(max)}) for CI job certificates`, {
      fix: `ask for ${formatDuration(max)} or less, or raise client_cert.job_max_ttl in the config`,
    });
  }
  return requested ?? Math.min(config.client_cert.default_ttl, max);
}

/** Certificate and key in one PEM file, 0600, replaced atomically. */
function writeOutputPem(file: string, issued: IssueResult): { file: string; contains: string[] } {
  const parts = [issued.certPem.trimEnd()];
  if (issued.keyPem) parts.push(issued.keyPem.trimEnd());
  try {
    writeFileAtomic(file, `${parts.join('\n')}\n`, { mode: 0o600 });
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--output ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      fix: 'pass a path in a directory that exists and is writable; the certificate is issued and listed in `tlsmcp cert list`',
      cause: err,
    });
  }
  return { file, contains: issued.keyPem ? ['certificate', 'private key'] : ['certificate'] };
}

function readCsr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--csr ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      fix: 'pass the path of a PEM certificate request, e.g. one made by `openssl req -new`',
      cause: err,
    });
  }
}

/** The human summary of a new certificate: id, serial, files, expiry. */
export function printIssued(io: CliIo, record: CertRecord, verb: 'issued' | 'renewed'): void {
  printLine(io, `${verb} ${record.type} certificate ${record.id} for service ${record.service} (CN=${record.cn})`);
  if (record.renewed_from) printLine(io, `  replaces   ${record.renewed_from} (still valid until it expires or is revoked)`);
  printLine(io, `  serial     ${record.serial}`);
  printLine(io, `  expires    ${record.not_after} (${relativeTime(record.not_after)})`);
  printLine(io, `  cert       ${record.files.cert}`);
  printLine(io, `  key        ${record.files.key ? `${record.files.key} (0600)` : 'none written: the CSR requester keeps it'}`);
  printLine(io, `  ca         ${record.files.ca}`);
  if (record.files.p12) printLine(io, `  pkcs12     ${record.files.p12}`);
}
