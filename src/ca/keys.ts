/**
 * Key pairs for the CA and its leaves, made by node:crypto's WebCrypto, and the
 * signature algorithm each key type signs with.
 */
import { createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';
import { TlsmcpError } from '../errors.js';
import { subtle } from './x509.js';
import type { KeyType } from './types.js';

export interface KeyAlgorithms {
  /** Parameters for generateKey/importKey. */
  keyParams: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
  /** What certificates signed by this key use. */
  signingAlgorithm: webcrypto.Algorithm & { hash: string };
}

export function keyAlgorithms(keyType: KeyType): KeyAlgorithms {
  switch (keyType) {
    case 'ecdsa-p256':
      return { keyParams: { name: 'ECDSA', namedCurve: 'P-256' }, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'ecdsa-p384':
      return { keyParams: { name: 'ECDSA', namedCurve: 'P-384' }, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } };
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return {
        keyParams: {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: Number(keyType.slice(4)),
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      };
  }
}

export interface GeneratedKey {
  keys: webcrypto.CryptoKeyPair;
  /** PKCS#8 PEM. Goes to a 0600 file or to a TLS context, never to a log. */
  keyPem: string;
  keyType: KeyType;
}

export async function generateKeyPair(keyType: KeyType): Promise<GeneratedKey> {
  const { keyParams } = keyAlgorithms(keyType);
  const keys = (await subtle.generateKey(keyParams, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const der = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return { keys, keyPem: toPem(der, 'PRIVATE KEY'), keyType };
}

/** Tells the key type of a PEM private key (PKCS#8, SEC1 or PKCS#1). */
export function keyTypeOf(key: KeyObject): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ecdsa-p256';
    if (details.namedCurve === 'secp384r1') return 'ecdsa-p384';
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa-${bits}` as KeyType;
  }
  throw new TlsmcpError('ERR_CERT_INVALID', `unsupported key: ${key.asymmetricKeyType} ${details.namedCurve ?? details.modulusLength ?? ''}`.trim(), {
    fix: 'use an ECDSA P-256/P-384 or RSA 2048/3072/4096 key',
  });
}

/** Loads a PEM private key for signing. */
export async function importSigningKey(keyPem: string): Promise<{ privateKey: webcrypto.CryptoKey; keyType: KeyType }> {
  const keyObject = createPrivateKey(keyPem);
  const keyType = keyTypeOf(keyObject);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', der, keyAlgorithms(keyType).keyParams, false, ['sign']);
  return { privateKey, keyType };
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
