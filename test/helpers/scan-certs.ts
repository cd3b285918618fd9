/**
 * Test-time PKI for the scanner tests: a root, an intermediate and leaf
 * certificates with chosen flaws (expired, self-signed, SHA-1, RSA-1024, wrong
 * name), built with node-forge over keys from node:crypto. Nothing is committed.
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface TestKey {
  pem: string;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

export function makeRsaKey(bits: number): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const forgePublic = forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e);
  return { pem, forgePrivate, forgePublic };
}

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: TestKey;
}

export interface CertSpec {
  cn: string;
  dns?: string[];
  ip?: string[];
  ca?: boolean;
  key: TestKey;
  /** Signs with this; omitted means self-signed. */
  issuer?: Issued;
  notBefore?: Date;
  notAfter?: Date;
  digest?: 'sha1' | 'sha256';
  serial?: string;
  /** An AIA extension with this caIssuers URL. */
  aiaCaIssuers?: string;
}

const DAY = 86_400_000;
let serialCounter = 1;

/** AuthorityInfoAccess with one caIssuers URI (forge has no encoder for it). */
function aiaExtension(url: string): object {
  const a = forge.asn1;
  const access = a.create(a.Class.UNIVERSAL, a.Type.SEQUENCE, true, [
    a.create(a.Class.UNIVERSAL, a.Type.SEQUENCE, true, [
      a.create(a.Class.UNIVERSAL, a.Type.OID, false, a.oidToDer('1.3.6.1.5.5.7.48.2').getBytes()),
      a.create(a.Class.CONTEXT_SPECIFIC, 6, false, url),
    ]),
  ]);
  return { id: '1.3.6.1.5.5.7.1.1', critical: false, value: a.toDer(access).getBytes() };
}

export function issueCert(spec: CertSpec): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = spec.key.forgePublic;
  cert.serialNumber = spec.serial ?? (0x1000 + serialCounter++).toString(16).padStart(4, '0');
  cert.validity.notBefore = spec.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = spec.notAfter ?? new Date(Date.now() + 90 * DAY);
  const subject = [{ name: 'commonName', value: spec.cn }];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const altNames = [
    ...(spec.dns ?? []).map((value) => ({ type: 2, value })),
    ...(spec.ip ?? []).map((ip) => ({ type: 7, ip })),
  ];
  const extensions: object[] = [
    { name: 'basicConstraints', cA: spec.ca ?? false, critical: spec.ca ?? false },
    spec.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (!spec.ca) extensions.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  if (spec.aiaCaIssuers) extensions.push(aiaExtension(spec.aiaCaIssuers));
  cert.setExtensions(extensions);
  const signer = spec.issuer?.key ?? spec.key;
  const md = spec.digest === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create();
  cert.sign(signer.forgePrivate, md);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: spec.key.pem, cert, key: spec.key };
}

export interface TestPki {
  root: Issued;
  intermediate: Issued;
  leafKey: TestKey;
  /** A leaf for `localhost`/127.0.0.1 issued by the intermediate, with overrides. */
  leaf(overrides?: Partial<CertSpec>): Issued;
}

/** A root and an intermediate (RSA-2048, SHA-256) and a reusable leaf key. */
export function createTestPki(): TestPki {
  const rootKey = makeRsaKey(2048);
  const root = issueCert({ cn: 'tlsmcp test root', ca: true, key: rootKey, notAfter: new Date(Date.now() + 3650 * DAY) });
  const intermediate = issueCert({ cn: 'tlsmcp test intermediate', ca: true, key: makeRsaKey(2048), issuer: root });
  const leafKey = makeRsaKey(2048);
  return {
    root,
    intermediate,
    leafKey,
    leaf: (overrides = {}) =>
      issueCert({ cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], key: leafKey, issuer: intermediate, ...overrides }),
  };
}
