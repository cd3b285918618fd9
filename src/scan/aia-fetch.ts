/**
 * Fetches an issuer certificate from a leaf's AIA `caIssuers` URL, as SSL Labs
 * and testssl do to complete a chain the server sent incomplete. The URL's
 * host goes through the same scan.allow/scan.deny check as a scan target and
 * the checked address is dialled; the answer is bounded in size and time, no
 * redirect is followed, and only http:// and https:// are fetched.
 */
import 'reflect-metadata';
import http from 'node:http';
import https from 'node:https';
import * as x509 from '@peculiar/x509';
import { checkScanTarget, type LookupFn, type ScanTargetPolicy } from './target-policy.js';

export const AIA_MAX_BYTES = 64 * 1024;

export interface AiaFetchOptions {
  policy: ScanTargetPolicy;
  lookup?: LookupFn | undefined;
  timeoutMs: number;
}

export type AiaFetchResult = { ok: true; der: Buffer[] } | { ok: false; error: string };

function get(url: URL, address: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  const client = url.protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const req = client.get(
      {
        host: address,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'user-agent': 'tlsmcp-scan', accept: 'application/pkix-cert, application/pkcs7-mime, */*' },
        ...(url.protocol === 'https:' ? { servername: host } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > AIA_MAX_BYTES) {
            req.destroy(new Error(`answer larger than ${AIA_MAX_BYTES} bytes`));
            return;
          }
          chunks.push(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** DER, PEM or PKCS#7 (certs-only) bytes to DER certificates. */
function certificatesIn(body: Buffer): Buffer[] {
  try {
    const text = body.toString('latin1');
    const list = text.includes('-----BEGIN') ? new x509.X509Certificates(text) : new x509.X509Certificates(body);
    if (list.length > 0) return list.map((c) => Buffer.from(c.rawData));
  } catch {
    // not PEM/PKCS#7: try a single DER certificate
  }
  try {
    return [Buffer.from(new x509.X509Certificate(body).rawData)];
  } catch {
    return [];
  }
}

/** Fetches the certificates at one caIssuers URL; never throws. */
export async function fetchAiaIssuer(urlText: string, o: AiaFetchOptions): Promise<AiaFetchResult> {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return { ok: false, error: `${urlText} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: `${urlText}: only http:// and https:// are fetched` };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let address: string | undefined;
  try {
    const checked = await checkScanTarget(host, o.policy, o.lookup);
    address = checked.address;
    if (!address) return { ok: false, error: `${urlText}: ${checked.resolveError ?? `cannot resolve ${host}`}` };
  } catch (err) {
    return { ok: false, error: `${urlText}: ${(err as Error).message}` };
  }
  try {
    const res = await get(url, address, o.timeoutMs);
    if (res.status !== 200) return { ok: false, error: `${urlText}: HTTP ${res.status}` };
    const der = certificatesIn(res.body);
    return der.length > 0 ? { ok: true, der } : { ok: false, error: `${urlText}: the answer is not a certificate` };
  } catch (err) {
    return { ok: false, error: `${urlText}: ${(err as Error).message}` };
  }
}
