/**
 * The local certificate authority over a state dir: issue, list, get, revoke,
 * renew, CRL. Every read-modify-write of the inventory runs under the state
 * lock, so the CLI and a running server can share one state dir safely.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlsmcpError } from '../errors.js';
import { createSilentLogger, type Logger } from '../logger.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { AuditLog } from '../state/audit-log.js';
import { withStateLock } from '../state/lock.js';
import { statePaths } from '../state/state-dir.js';
import { checkSans, leafExtensions } from './extensions.js';
import { parseCsr } from './csr.js';
import { appendRevocation, readInventory, readRevocations, writeInventory, writeRevocations } from './inventory.js';
import { generateKeyPair } from './keys.js';
import { certStatus, resolveTtl } from './policy.js';
import { caExists, createRootCa, loadCa, readCaCertPem } from './root.js';
import { normalizeSerial, randomSerial } from './serial.js';
import { buildCrl } from './crl.js';
import { x509 } from './x509.js';
import { keyTypeSchema } from './types.js';
import type {
  CertificateAuthority,
  CertRecord,
  CertView,
  IssueRequest,
  IssueResult,
  KeyType,
  RevocationReason,
  Sans,
  TtlPolicy,
} from './types.js';

export interface CertificateAuthorityOptions {
  stateDir: string;
  policy: TtlPolicy;
  clock?: () => Date;
  logger?: Logger;
  /** Where issue, renew and revoke leave a trail; the caller owns (and closes) it. */
  audit?: AuditLog;
}

const BACKDATE_MS = 60_000; // tolerate a minute of clock skew between peers

export function createCertificateAuthority(options: CertificateAuthorityOptions): CertificateAuthority {
  const paths = statePaths(options.stateDir);
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? createSilentLogger();
  const policy = options.policy;

  const view = (record: CertRecord): CertView => ({ ...record, ...certStatus(record, policy, clock()) });

  function find(records: CertRecord[], idOrSerial: string): CertRecord {
    const wanted = idOrSerial.trim();
    const asHex = normalizeSerial(wanted);
    const asFingerprint = wanted.replace(/[:\s]/g, '').toLowerCase();
    const found = records.find(
      (r) => r.id === wanted || r.serial === asHex || r.fingerprint_sha256.replace(/:/g, '').toLowerCase() === asFingerprint,
    );
    if (!found) {
      throw new TlsmcpError('ERR_CERT_NOT_FOUND', `no certificate with id or serial "${wanted}"`, {
        fix: 'run `tlsmcp cert list` to see the ids',
      });
    }
    return found;
  }

  /** The state dir's copy of a certificate: it stays even if an --out dir is deleted. */
  function certPemOf(record: CertRecord): string {
    for (const file of [join(paths.certDir(record.id), 'cert.pem'), record.files.cert]) {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new TlsmcpError('ERR_STATE_CORRUPT', `the certificate file of ${record.id} is missing (${record.files.cert})`, {
      fix: `restore ${paths.certDir(record.id)} from a backup, or revoke ${record.id} and issue a new certificate`,
    });
  }

  async function issueInternal(request: IssueRequest, renewedFrom?: CertRecord, reusePublicKey?: x509.PublicKey): Promise<IssueResult> {
    const ttl = resolveTtl(policy, request.type, request.ttlMs);
    if (request.p12 && (request.csrPem || reusePublicKey)) {
      // Checked before anything is written, so a refused request leaves no files behind.
      throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--p12 needs a key tlsmcp generated; with --csr the key stays with the requester', {
        fix: 'drop --p12, or drop --csr to let tlsmcp make the key',
      });
    }
    const csr = request.csrPem ? await parseCsr(request.csrPem) : undefined;
    const cn = request.cn ?? csr?.cn ?? request.service;
    const sans: Sans = {
      dns: request.dns ?? [],
      ip: request.ip ?? [],
      uri: request.uri ?? [],
    };
    if (csr && sans.dns.length + sans.ip.length + sans.uri.length === 0) Object.assign(sans, csr.sans);
    if (request.type === 'server' && sans.dns.length + sans.ip.length === 0) {
      if (checkSans({ dns: [cn], ip: [], uri: [] }).length === 0) sans.dns.push(cn);
      else {
        throw new TlsmcpError('ERR_ARGUMENT_INVALID', 'a server certificate needs at least one --dns or --ip name', {
          fix: 'add --dns NAME or --ip ADDR for the name clients connect to',
        });
      }
    }
    const problems = checkSans(sans);
    if (problems.length > 0) throw new TlsmcpError('ERR_ARGUMENT_INVALID', problems.join('; '));

    // Key generation is the slow part: do it before taking the lock.
    const generated = csr || reusePublicKey ? undefined : await generateKeyPair(request.keyType ?? 'ecdsa-p256');
    const publicKey = reusePublicKey ?? csr?.publicKey ?? (await x509.PublicKey.create(generated!.keys.publicKey));
    const keyType: KeyType | string = csr?.keyType ?? generated?.keyType ?? renewedFrom?.key_type ?? 'unknown';

    return withStateLock(paths.root, async () => {
      const ca = await loadCa(paths);
      const records = readInventory(paths.inventory);
      let serial = randomSerial();
      while (records.some((r) => r.serial === serial || r.id === serial.slice(0, 12))) serial = randomSerial();
      const id = serial.slice(0, 12);
      const now = clock();
      const notBefore = new Date(now.getTime() - BACKDATE_MS);
      const notAfter = new Date(now.getTime() + ttl);
      const subject = [`CN=${escapeDn(cn)}`, request.o && `O=${escapeDn(request.o)}`, request.ou && `OU=${escapeDn(request.ou)}`]
        .filter(Boolean)
        .join(', ');
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject,
        issuer: ca.cert.subject,
        notBefore,
        notAfter,
        publicKey,
        signingKey: ca.signingKey,
        signingAlgorithm: ca.signingAlgorithm,
        extensions: await leafExtensions(request.type, (keyType as KeyType) ?? 'ecdsa-p256', sans, publicKey, ca.cert),
      });
      const certPem = cert.toString('pem') + '\n';
      const dir = paths.certDir(id);
      const files: CertRecord['files'] = { cert: join(dir, 'cert.pem'), ca: join(dir, 'ca.pem') };
      writeFileAtomic(files.cert, certPem);
      writeFileAtomic(files.ca, ca.certPem);
      if (generated && !request.outDir) {
        files.key = join(dir, 'key.pem');
        writeFileAtomic(files.key, generated.keyPem, { mode: 0o600 });
      }
      if (request.outDir) {
        files.cert = join(request.outDir, 'cert.pem');
        files.ca = join(request.outDir, 'ca.pem');
        writeFileAtomic(files.cert, certPem);
        writeFileAtomic(files.ca, ca.certPem);
        if (generated) {
          files.key = join(request.outDir, 'key.pem');
          writeFileAtomic(files.key, generated.keyPem, { mode: 0o600 });
        }
      }
      if (request.p12 && generated) {
        files.p12 = join(request.outDir ?? dir, 'bundle.p12');
        // Loaded on demand: PKI.js is only needed for --p12 and costs every other command start-up time.
        const { writePkcs12 } = await import('./pkcs12.js');
        await writePkcs12(files.p12, { certPem, keyPem: generated.keyPem, caPem: ca.certPem, password: request.p12Password ?? '' });
      }
      const record: CertRecord = {
        id,
        serial: normalizeSerial(serial),
        type: request.type,
        service: request.service,
        cn,
        ...(request.o ? { o: request.o } : {}),
        ...(request.ou ? { ou: request.ou } : {}),
        sans,
        not_before: notBefore.toISOString(),
        not_after: notAfter.toISOString(),
        fingerprint_sha256: new NodeX509(certPem).fingerprint256,
        key_type: keyType,
        from_csr: Boolean(csr) || Boolean(renewedFrom?.from_csr),
        ...(renewedFrom ? { renewed_from: renewedFrom.id } : {}),
        issued_at: now.toISOString(),
        files,
      };
      writeInventory(paths.inventory, [...records, record]);
      logger.info({ event: 'cert_issued', id, serial: record.serial, type: record.type, service: record.service, cn }, 'certificate issued');
      options.audit?.append({
        time: now.toISOString(),
        kind: 'cert',
        service: record.service,
        result: renewedFrom ? 'renewed' : 'issued',
        serial: record.serial,
        id,
        cert_type: record.type,
        cn,
        ...(renewedFrom ? { renewed_from: renewedFrom.id } : {}),
      });
      return { record, certPem, keyPem: generated?.keyPem, caPem: ca.certPem };
    });
  }

  return {
    stateDir: paths.root,

    exists: () => caExists(paths),

    caCertPem: () => readCaCertPem(paths),

    async init({ keyType = 'ecdsa-p256', force = false } = {}) {
      return withStateLock(paths.root, async () => {
        if (caExists(paths) && !force) return { created: false, caCertPem: readCaCertPem(paths) };
        const { certPem: caCertPem, replaced } = await createRootCa(paths, keyType, clock());
        logger.info({ event: 'ca_created', keyType, stateDir: paths.root, replaced }, 'certificate authority created');
        return { created: true, caCertPem, ...(replaced ? { replaced } : {}) };
      });
    },

    issue: (request) => issueInternal(request),

    async list(filter = {}) {
      return readInventory(paths.inventory)
        .map(view)
        .filter((c) => (!filter.service || c.service === filter.service) && (!filter.status || c.status === filter.status) && (!filter.type || c.type === filter.type));
    },

    async get(idOrSerial) {
      return view(find(readInventory(paths.inventory), idOrSerial));
    },

    async revoke(idOrSerial, reason: RevocationReason = 'unspecified') {
      return withStateLock(paths.root, async () => {
        const records = readInventory(paths.inventory);
        const target = find(records, idOrSerial);
        if (target.revoked) return view(target);
        const at = clock().toISOString();
        const revoked: CertRecord = { ...target, revoked: { at, reason } };
        // Revocations first: if we crash between the two writes, the serial is still refused.
        writeRevocations(paths.revocations, appendRevocation(readRevocations(paths.revocations), { serial: target.serial, id: target.id, at, reason }));
        writeInventory(paths.inventory, records.map((r) => (r.id === target.id ? revoked : r)));
        logger.info({ event: 'cert_revoked', id: target.id, serial: target.serial, reason }, 'certificate revoked');
        options.audit?.append({ time: at, kind: 'revocation', service: target.service, result: 'revoked', reason, serial: target.serial, id: target.id });
        return view(revoked);
      });
    },

    async certPem(idOrSerial) {
      return certPemOf(find(readInventory(paths.inventory), idOrSerial));
    },

    async renew(id, options = {}) {
      const old = find(readInventory(paths.inventory), id);
      if (old.revoked) {
        // A revoked key (perhaps compromised) must not be certified again; make a fresh one.
        throw new TlsmcpError('ERR_CERT_REVOKED', `certificate ${old.id} was revoked (${old.revoked.reason}) and cannot be renewed`, {
          fix: `issue a new one: tlsmcp cert issue --type ${old.type} --service ${old.service}`,
        });
      }
      const lifetime = Date.parse(old.not_after) - Date.parse(old.not_before) - BACKDATE_MS;
      const max = old.type === 'server' ? policy.server.max_ttl : policy.client.max_ttl;
      const reuse = old.from_csr ? new x509.X509Certificate(certPemOf(old)).publicKey : undefined;
      return issueInternal(
        {
          type: old.type,
          service: old.service,
          cn: old.cn,
          o: old.o,
          ou: old.ou,
          dns: old.sans.dns,
          ip: old.sans.ip,
          uri: old.sans.uri,
          ttlMs: Math.min(Math.max(lifetime, old.type === 'client' ? policy.client.min_ttl : 60_000), max),
          keyType: keyTypeSchema.safeParse(old.key_type).data,
          outDir: options.outDir,
          p12: options.p12,
          p12Password: options.p12Password,
        },
        old,
        reuse,
      );
    },

    async revocations() {
      return readRevocations(paths.revocations).revoked;
    },

    async crlPem() {
      const ca = await loadCa(paths);
      return buildCrl(ca, readRevocations(paths.revocations).revoked, clock());
    },
  };
}

/** Escapes the characters RFC 4514 reserves in a DN value. */
function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}
