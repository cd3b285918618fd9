/**
 * The root CA on disk: create it (key 0600), load it for signing, tell whether
 * one exists. A replaced CA is moved aside, never deleted.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { TlsmcpError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { caKeyModeProblem } from '../state/permissions.js';
import type { StatePaths } from '../state/state-dir.js';
import { caExtensions } from './extensions.js';
import { generateKeyPair, importSigningKey, keyAlgorithms } from './keys.js';
import { inventoryCount, readCaCertPem } from './root-files.js';
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

/**
 * What `init` without --force may do over this state dir: nothing when a
 * complete CA is there, create one when there is none and nothing it issued,
 * otherwise refuse (a new CA would orphan every certificate already issued).
 */
export function initDecision(paths: StatePaths): 'exists' | 'create' {
  const hasCert = existsSync(paths.caCert);
  const hasKey = existsSync(paths.caKey);
  if (hasCert && hasKey) return 'exists';
  if (hasCert) throw caKeyMissing(paths, 'tlsmcp init will not make a new CA over it');
  if (hasKey) {
    throw new TlsmcpError('ERR_STATE_CORRUPT', `${paths.caKey} is there but the CA certificate ${paths.caCert} is missing; tlsmcp init will not make a new CA over it`, {
      fix: `restore ${paths.caCert} from a backup of the state dir`,
    });
  }
  const issued = inventoryCount(paths);
  if (issued > 0) {
    throw new TlsmcpError('ERR_CA_MISSING', `${paths.inventory} lists ${issued} certificate(s) issued by a CA that is no longer in ${paths.caDir}; tlsmcp init will not silently replace it (\`tlsmcp init --force\` would: those certificates stop validating)`, {
      fix: `restore ${paths.caDir} from a backup of the state dir`,
      details: { issued },
    });
  }
  return 'create';
}

function caKeyMissing(paths: StatePaths, extra?: string): TlsmcpError {
  const issued = inventoryCount(paths);
  return new TlsmcpError('ERR_CA_KEY_MISSING', `the CA private key ${paths.caKey} is missing (the CA certificate is there)${extra ? `; ${extra}` : ''}`, {
    fix: `restore ${paths.caKey} (mode 0600) from a backup of the state dir${issued > 0 ? `; a new CA would orphan the ${issued} certificate(s) in the inventory` : ''}`,
    details: { path: paths.caKey, issued },
  });
}

/** Refuses a CA key that group or others may read (or write): anyone who reads it can mint certificates. */
export function checkCaKeyMode(paths: StatePaths): void {
  if (!existsSync(paths.caKey)) throw caKeyMissing(paths);
  const problem = caKeyModeProblem(paths.caKey);
  if (problem) throw problem;
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
  checkCaKeyMode(paths);
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
