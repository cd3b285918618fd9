/**
 * `tlsmcp cert issue`: a client or server certificate from the local CA, with a
 * key tlsmcp makes or for a CSR the requester signed. Prints the record, never
 * the key.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KEY_TYPES, type CertRecord, type IssueRequest, type KeyType } from '../../../ca/index.js';
import { TlsmcpError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine, type CliIo } from '../../output.js';
import { collect, collectIp, parseTtlOption, relativeTime, resolvePath, runWithCa } from './shared.js';

interface IssueOptions {
  type: 'client' | 'server';
  service: string;
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
    .addOption(new Option('--type <type>', 'client (EKU clientAuth) or server (EKU serverAuth)').choices(['client', 'server']).makeOptionMandatory())
    .requiredOption('--service <name>', 'the service the certificate belongs to (CN defaults to it)')
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
      runWithCa(ctx, cmd, Boolean(opts.json), async ({ ca }) => {
        const request: IssueRequest = {
          type: opts.type,
          service: opts.service,
          cn: opts.cn,
          o: opts.org,
          ou: opts.ou,
          dns: opts.dns,
          ip: opts.ip,
          uri: opts.uri,
          ttlMs: opts.ttl,
          keyType: opts.csr ? undefined : opts.keyType,
          csrPem: opts.csr ? readCsr(resolvePath(ctx, opts.csr)) : undefined,
          outDir: opts.out ? resolvePath(ctx, opts.out) : undefined,
          p12: opts.p12,
          p12Password: opts.p12Password ?? ctx.io.env.TLSMCP_P12_PASSWORD ?? '',
        };
        const { record } = await ca.issue(request);
        if (opts.json) printJson(ctx.io, record);
        else printIssued(ctx.io, record, 'issued');
      }),
    );
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
