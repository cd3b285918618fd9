/**
 * `tlsmcp cert info` with no argument: the server certificate each configured
 * service presents (the operator's file, or the newest one the local CA issued
 * for it), when it expires and when it will be renewed (`renew_before` ahead).
 * Without a config, every service the inventory holds a server certificate for.
 */
import { readFileSync } from 'node:fs';
import { describeCertificate, type CertView } from '../../../ca/index.js';
import type { ServerCertConfig } from '../../../config/schema.js';
import { TlsmcpError } from '../../../errors.js';
import { formatDuration } from '../../../util/duration.js';
import type { CliContext } from '../../context.js';
import { printJson, printLine } from '../../output.js';
import { relativeTime, type OpenedCa } from './shared.js';

export interface ServerCertInfo {
  service: string;
  provider: ServerCertConfig['provider'];
  source: 'config' | 'ca' | 'none';
  id?: string;
  serial?: string;
  subject?: string;
  issuer?: string;
  not_after?: string;
  renew_at?: string;
  renew_before: string;
  status?: string;
}

export async function serverCertInfos({ ca, config }: OpenedCa, now = Date.now()): Promise<ServerCertInfo[]> {
  const inventory = ca.exists() ? await ca.list({ type: 'server' }) : [];
  const services = config.services.filter((s) => s.mode === 'server').map((s) => ({ name: s.name, sc: s.server_cert }));
  if (services.length === 0) {
    for (const name of new Set(inventory.map((c) => c.service))) services.push({ name, sc: config.server_cert });
  }
  return services.map(({ name, sc }) => {
    const base = { service: name, provider: sc.provider, renew_before: formatDuration(sc.renew_before) };
    if (sc.cert_file) {
      let pem: string;
      try {
        pem = readFileSync(sc.cert_file, 'utf8');
      } catch (err) {
        throw new TlsmcpError('ERR_CERT_INVALID', `server_cert.cert_file ${sc.cert_file} of service ${name}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
      const d = describeCertificate(pem);
      return { ...base, source: 'config' as const, serial: d.serial, subject: d.subject, issuer: d.issuer, not_after: d.not_after, renew_at: renewAt(d.not_after, sc.renew_before), status: Date.parse(d.not_after) <= now ? 'expired' : 'valid' };
    }
    const current = newest(inventory.filter((c) => c.service === name && c.status !== 'revoked' && c.status !== 'expired'));
    if (!current) return { ...base, source: 'none' as const };
    return { ...base, source: 'ca' as const, id: current.id, serial: current.serial, subject: `CN=${current.cn}`, issuer: 'local CA', not_after: current.not_after, renew_at: renewAt(current.not_after, sc.renew_before), status: current.status };
  });
}

function newest(certs: CertView[]): CertView | undefined {
  return [...certs].sort((a, b) => Date.parse(b.not_after) - Date.parse(a.not_after))[0];
}

function renewAt(notAfter: string, renewBefore: number): string {
  return new Date(Date.parse(notAfter) - renewBefore).toISOString();
}

export async function printServerCertInfo(ctx: CliContext, opened: OpenedCa, json: boolean): Promise<number> {
  const infos = await serverCertInfos(opened);
  if (json) {
    printJson(ctx.io, { server_certs: infos });
    return 0;
  }
  if (infos.length === 0) {
    printLine(ctx.io, `no server certificates: no service in the config and none issued in ${opened.stateDir}`);
    return 0;
  }
  for (const i of infos) {
    printLine(ctx.io, `Server cert (service ${i.service}, provider ${i.provider}):`);
    if (i.source === 'none' || !i.not_after || !i.renew_at) {
      printLine(ctx.io, '  none issued yet: `tlsmcp run` issues one at start');
      continue;
    }
    printLine(ctx.io, `  Expires: ${i.not_after.slice(0, 10)} (${relativeTime(i.not_after)})`);
    printLine(ctx.io, `  Renews:  ${i.renew_at.slice(0, 10)} (${i.renew_before} before expiry)`);
    printLine(ctx.io, `  ${i.subject ?? ''}, issuer ${i.issuer ?? '?'}, serial ${i.serial ?? '?'}${i.id ? `, id ${i.id}` : ''} (${i.source === 'config' ? 'server_cert.cert_file' : 'local CA'})`);
  }
  return 0;
}
