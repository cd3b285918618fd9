/**
 * The root CA on disk: create it (key 0600), load it for signing, tell whether
 * one exists. A replaced CA is moved aside, never deleted.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { TlsmcpError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { StatePaths } from '../state/state-dir.js';
import { caExtensions } from './extensions.js';
import { generateKeyPair, importSigningKey, keyAlgorithms } from './keys.js';
import { randomSerial } from './serial.js';
import { x509 } from './x509.js';
import type { KeyType } from './types.js';

const CA_LIFETIME_MS = 10 * 365 * 86_400_000;

export interface LoadedCa {
  cert: x509.X509Certificate;
  certPem: string;
  signingKey: import('node:crypto').webcrypto.CryptoKey;
  signingAlgorithm: { name: string; hash: string };
}

export function caExists(paths: StatePaths): boolean {
  return existsSync(paths.caCert) && existsSync(paths.caKey);
}

/** Creates the root CA; returns its PEM and, when one was replaced, where the old one went. */
export async function createRootCa(paths: StatePaths, keyType: KeyType, now: Date): Promise<{ certPem: string; replaced?: string }> {
  const generated = await generateKeyPair(keyType);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=tlsmcp local CA (${hostname()}), O=tlsmcp`,
    keys: generated.keys,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    signingAlgorithm: keyAlgorithms(keyType).signingAlgorithm,
    extensions: await caExtensions(generated.keys.publicKey),
  });
  const certPem = cert.toString('pem') + '\n';
  let replaced: string | undefined;
  if (existsSync(paths.caDir)) {
    // --force: keep the old CA beside the new one so nothing is lost.
    replaced = `${paths.caDir}.replaced-${now.toISOString().replace(/[:.]/g, '-')}`;
    renameSync(paths.caDir, replaced);
  }
  writeFileAtomic(paths.caKey, generated.keyPem, { mode: 0o600 });
  writeFileAtomic(paths.caCert, certPem, { mode: 0o644 });
  return replaced ? { certPem, replaced } : { certPem };
}

export function readCaCertPem(paths: StatePaths): string {
  if (!caExists(paths)) throw missingCa(paths);
  return readFileSync(paths.caCert, 'utf8');
}

export async function loadCa(paths: StatePaths): Promise<LoadedCa> {
  const certPem = readCaCertPem(paths);
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw new TlsmcpError('ERR_STATE_CORRUPT', `${paths.caCert} is not a readable certificate`, {
      fix: 'restore the CA from a backup, or `tlsmcp init --force` to make a new one (every issued certificate stops validating)',
      cause: err,
    });
  }
  let signing: Awaited<ReturnType<typeof importSigningKey>>;
  try {
    signing = await importSigningKey(readFileSync(paths.caKey, 'utf8'));
  } catch (err) {
    throw new TlsmcpError('ERR_STATE_CORRUPT', `${paths.caKey} is not a readable private key`, {
      fix: 'restore the CA key from a backup',
      cause: err,
    });
  }
  return { cert, certPem, signingKey: signing.privateKey, signingAlgorithm: keyAlgorithms(signing.keyType).signingAlgorithm };
}

function missingCa(paths: StatePaths): TlsmcpError {
  return new TlsmcpError('ERR_CA_MISSING', `no certificate authority in ${paths.root}`, {
    fix: `run \`tlsmcp init --state ${paths.root}\` first`,
  });
}
