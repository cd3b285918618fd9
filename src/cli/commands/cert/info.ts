/**
 * `tlsmcp cert info ID|FILE`: what a certificate says (subject, issuer, SANs,
 * EKU, key, signature algorithm, validity, fingerprint) and whether this CA
 * revoked it. A FILE is looked up in the inventory by serial and fingerprint.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { describeCertificate, type CertDetails, type CertView } from '../../../ca/index.js';
import { TlsmcpError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine } from '../../output.js';
import { printServerCertInfo } from './server-info.js';
import { relativeTime, resolvePath, runWithCa } from './shared.js';

type Revocation = { status: 'revoked'; reason: string; at: string } | { status: 'good' } | { status: 'unknown' };

export function registerCertInfoCommand(cert: Command, ctx: CliContext): void {
  cert
    .command('info')
    .description('show a certificate: subject, issuer, SANs, EKU, key, signature, validity, fingerprint, revocation; with no argument, this instance\'s server certificates (expiry and renewal date)')
    .argument('[id-or-file]', 'certificate id or serial from `tlsmcp cert list`, or a PEM file (default: the server certificate of each configured service)')
    .option('--json', 'print the details as JSON')
    .action(async (target: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      runWithCa(ctx, cmd, Boolean(opts.json), async (opened) => {
        if (target === undefined) return printServerCertInfo(ctx, opened, Boolean(opts.json));
        const { ca } = opened;
        const file = asFile(resolvePath(ctx, target));
        let record: CertView | undefined;
        let details: CertDetails;
        if (file) {
          details = describeCertificate(readPem(file));
          record = (await ca.list()).find((r) => r.fingerprint_sha256 === details.fingerprint_sha256);
        } else {
          record = await ca.get(target);
          details = describeCertificate(await ca.certPem(record.id));
        }
        const revocation: Revocation = !record
          ? { status: 'unknown' }
          : record.revoked
            ? { status: 'revoked', reason: record.revoked.reason, at: record.revoked.at }
            : { status: 'good' };
        const status = record?.status ?? validityStatus(details);
        if (opts.json) {
          printJson(ctx.io, {
            ...details,
            ...(file ? { file } : {}),
            known_to_ca: Boolean(record),
            ...(record ? { id: record.id, service: record.service, type: record.type, days_left: record.days_left, files: record.files } : {}),
            status,
            revocation,
          });
          return 0;
        }
        const san = [...details.sans.dns.map((d) => `DNS:${d}`), ...details.sans.ip.map((i) => `IP:${i}`), ...details.sans.uri.map((u) => `URI:${u}`), ...details.sans.email.map((e) => `email:${e}`)];
        const rows: [string, string][] = [
          ['subject', details.subject],
          ['issuer', details.issuer],
          ['serial', details.serial],
          ...(record ? ([['id', `${record.id} (${record.type} certificate for service ${record.service})`]] as [string, string][]) : []),
          ['sans', san.join(', ') || '(none)'],
          ['eku', details.eku.join(', ') || '(none)'],
          ['ca', details.is_ca ? 'yes' : 'no'],
          ['key', `${details.key_type} (${details.key_bits} bits)`],
          ['signature', details.signature_algorithm],
          ['not before', details.not_before],
          ['not after', `${details.not_after} (${relativeTime(details.not_after)})`],
          ['sha256', details.fingerprint_sha256],
          ['status', status],
          ['revocation', revocation.status === 'revoked' ? `revoked (${revocation.reason}) at ${revocation.at}` : revocation.status === 'good' ? 'not revoked' : 'unknown to this CA'],
        ];
        for (const [k, v] of rows) printLine(ctx.io, `${k.padEnd(11)} ${v}`);
        return 0;
      }),
    );
}

/** The path if the argument names an existing file; ids and serials never contain a slash or dot. */
function asFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${file}: cannot read it (${(err as Error).message})`, { cause: err });
  }
}

function validityStatus(details: CertDetails): string {
  const now = Date.now();
  if (Date.parse(details.not_after) <= now) return 'expired';
  if (Date.parse(details.not_before) > now) return 'not yet valid';
  return 'valid';
}
