/**
 * PKCS#12 bundles (`--p12`): the leaf certificate, its private key and the CA
 * certificate in one password-protected file, for clients (browsers, Java,
 * Windows) that take a .p12 rather than PEM files.
 *
 * node-forge cannot hold ECDSA keys, so this uses PKI.js, which builds the
 * whole structure (shrouded key bag, certificate bags, MAC) from DER. The
 * choices follow what OpenSSL 3 writes by default: PBES2 with PBKDF2-HMAC-SHA256
 * and AES-256-CBC for the key, and an HMAC-SHA256 MAC over the contents.
 */
import { webcrypto, randomBytes, createPrivateKey } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { TlsmcpError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-write.js';

export interface Pkcs12Input {
  certPem: string;
  keyPem: string;
  caPem: string;
  password: string;
  /** Shown by keystores as the entry's name. */
  friendlyName?: string;
}

const OID = {
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

// The DOM crypto types pkijs names are not in this project's lib; take them from its signatures.
type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
type KeyEncryption = Parameters<pkijs.PKCS8ShroudedKeyBag['makeInternalValues']>[0]['contentEncryptionAlgorithm'];

const ITERATIONS = 2048; // OpenSSL's PKCS12_DEFAULT_ITER

/** Builds a PKCS#12 (PFX) file in memory. */
export async function buildPkcs12(input: Pkcs12Input): Promise<Uint8Array> {
  const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto });
  const password = toArrayBuffer(Buffer.from(input.password, 'utf8'));
  const localKeyId = randomBytes(20);
  const name = input.friendlyName ?? 'tlsmcp';

  const attrs = (withName: boolean) => [
    ...(withName ? [new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: name })] })] : []),
    new pkijs.Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];

  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(pkcs8Der(input.keyPem)) });
  await keyBag.makeInternalValues(
    { password, contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as KeyEncryption, hmacHashAlgorithm: 'SHA-256', iterationCount: ITERATIONS },
    engine,
  );

  const leafBag = new pkijs.SafeBag({
    bagId: OID.certBag,
    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(certDer(input.certPem)) }),
    bagAttributes: attrs(true),
  });
  const caBag = new pkijs.SafeBag({
    bagId: OID.certBag,
    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(certDer(input.caPem)) }),
  });

  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0, // password-based MAC
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            // The key bag is encrypted on its own, so this SafeContents needs no second layer.
            { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [new pkijs.SafeBag({ bagId: OID.keyBag, bagValue: keyBag, bagAttributes: attrs(true) })] }) },
            { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [leafBag, caBag] }) },
          ],
        },
      }),
    },
  });
  await pfx.parsedValue!.authenticatedSafe!.makeInternalValues({ safeContents: [{}, {}] }, engine);
  await pfx.makeInternalValues({ password, iterations: ITERATIONS, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' }, engine);
  return new Uint8Array(pfx.toSchema().toBER(false));
}

/** Writes a PKCS#12 bundle, 0600 since it holds the private key. */
export async function writePkcs12(path: string, input: Pkcs12Input): Promise<void> {
  let der: Uint8Array;
  try {
    der = await buildPkcs12(input);
  } catch (err) {
    // Never echo the input: it holds the key.
    throw new TlsmcpError('ERR_INTERNAL', `could not build the PKCS#12 bundle ${path}: ${(err as Error).message}`, { cause: err });
  }
  writeFileAtomic(path, der, { mode: 0o600 });
}

function pkcs8Der(keyPem: string): ArrayBuffer {
  return toArrayBuffer(createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' }));
}

function certDer(pem: string): ArrayBuffer {
  // The first certificate of the PEM: ca.pem holds one, but be exact if it ever holds a chain.
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('not a PEM certificate');
  return toArrayBuffer(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}

function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}
