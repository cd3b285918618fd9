/** CSRs made at test time with @peculiar/x509, good and deliberately bad. */
import { webcrypto } from 'node:crypto';
import { x509 } from '../../../src/ca/x509.js';

export interface CsrOptions {
  name?: ConstructorParameters<typeof x509.Name>[0];
  dns?: string[];
  extensions?: x509.Extension[];
  key?: 'ecdsa' | 'ed25519';
}

export async function makeCsr(options: CsrOptions = {}): Promise<string> {
  const ed = options.key === 'ed25519';
  const algorithm = ed ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions = [...(options.extensions ?? [])];
  if (options.dns) extensions.push(new x509.SubjectAlternativeNameExtension(options.dns.map((value) => ({ type: 'dns' as const, value }))));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.name ?? [{ CN: ['csr-client'] }],
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: algorithm,
    extensions,
  });
  return csr.toString('pem');
}

/** The same CSR with `from` replaced by `to` (same length) in its DER: the signature no longer matches. */
export function alterCsr(pem: string, from: string, to: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(Buffer.from(from));
  if (at < 0 || from.length !== to.length) throw new Error(`"${from}" not in the CSR`);
  Buffer.from(to).copy(der, at);
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}
