/**
 * The local certificate authority over a state dir: issue, list, get, revoke,
 * renew, CRL. Every read-modify-write of the inventory runs under the state
 * lock, so the CLI and a running server can share one state dir safely.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TlsmcpError, toTlsmcpError } from '../errors.js';
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
import { createRootCa, initDecision, loadCa } from './root.js';
import { caExists, readCaCertPem } from './root-files.js';
import { normalizeSerial, randomSerial } from './serial.js';
import { buildCrl } from './crl.js';
import { readIssued } from './read-issued.js';
import { buildSubject, checkServiceName, checkSubjectValue, escapeSubjectText, SUBJECT_MAX_LENGTH } from './subject.js';
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
    checkServiceName(request.service);
    if (request.outDir && existsSync(request.outDir) && !statSync(request.outDir).isDirectory()) {
      throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--out ${request.outDir}: is a file, not a directory`, { fix: 'pass a directory (it is created if missing)' });
    }
    if (request.cn !== undefined) checkSubjectValue('--cn', request.cn, SUBJECT_MAX_LENGTH.cn);
    if (request.o !== undefined) checkSubjectValue('--org', request.o, SUBJECT_MAX_LENGTH.o);
    if (request.ou !== undefined) checkSubjectValue('--ou', request.ou, SUBJECT_MAX_LENGTH.ou);
    const csr = request.csrPem ? await parseCsr(request.csrPem) : undefined;
    const cn = request.cn ?? csr?.cn ?? request.service;
    checkSubjectValue(request.cn === undefined && csr?.cn !== undefined ? '--csr subject CN' : '--cn', cn, SUBJECT_MAX_LENGTH.cn);
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
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject: buildSubject({ cn, o: request.o, ou: request.ou }),
        issuer: ca.cert.subject,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter: new Date(now.getTime() + ttl),
        publicKey,
        signingKey: ca.signingKey,
        signingAlgorithm: ca.signingAlgorithm,
        extensions: await leafExtensions(request.type, (keyType as KeyType) ?? 'ecdsa-p256', sans, publicKey, ca.cert),
      });
      const certPem = cert.toString('pem') + '\n';
      const issued = readIssued(certPem, { cn, o: request.o, ou: request.ou, sans });

      const dir = paths.certDir(id);
      const outDir = request.outDir;
      const files: CertRecord['files'] = { cert: join(outDir ?? dir, 'cert.pem'), ca: join(outDir ?? dir, 'ca.pem') };
      if (generated) files.key = join(outDir ?? dir, 'key.pem');
      // Built in memory before anything is recorded: a failure here leaves nothing behind.
      let p12: Uint8Array | undefined;
      if (request.p12 && generated) {
        files.p12 = join(outDir ?? dir, 'bundle.p12');
        // Loaded on demand: PKI.js is only needed for --p12 and costs every other command start-up time.
        const { buildPkcs12 } = await import('./pkcs12.js');
        p12 = await buildPkcs12({ certPem, keyPem: generated.keyPem, caPem: ca.certPem, password: request.p12Password ?? '' });
      }
      const record: CertRecord = {
        id,
        type: request.type,
        service: request.service,
        ...issued,
        key_type: keyType,
        from_csr: Boolean(csr) || Boolean(renewedFrom?.from_csr),
        ...(renewedFrom ? { renewed_from: renewedFrom.id } : {}),
        issued_at: now.toISOString(),
        files,
      };

      // The commit point: the certificate is in the inventory (so it can be listed and
      // revoked) before any file holding it exists. A crash before this line leaves nothing.
      writeInventory(paths.inventory, [...records, record]);
      const written: string[] = [];
      const put = (path: string, data: string | Uint8Array, mode?: number) => {
        writeFileAtomic(path, data, mode === undefined ? {} : { mode });
        written.push(path);
      };
      try {
        // The state dir keeps its own copy of the certificate, even if --out is deleted later.
        put(join(dir, 'cert.pem'), certPem);
        put(join(dir, 'ca.pem'), ca.certPem);
        if (outDir) {
          put(files.cert, certPem);
          put(files.ca, ca.certPem);
        }
        if (generated) put(files.key!, generated.keyPem, 0o600);
        if (p12) put(files.p12!, p12, 0o600);
      } catch (err) {
        throw rollBack(record, written, records, err);
      }

      logger.info({ event: 'cert_issued', id, serial: record.serial, type: record.type, service: escapeSubjectText(record.service), cn: escapeSubjectText(record.cn) }, 'certificate issued');
      options.audit?.append({
        time: now.toISOString(),
        kind: 'cert',
        service: record.service,
        result: renewedFrom ? 'renewed' : 'issued',
        serial: record.serial,
        id,
        cert_type: record.type,
        cn: record.cn,
        ...(renewedFrom ? { renewed_from: renewedFrom.id } : {}),
      });
      return { record, certPem, keyPem: generated?.keyPem, caPem: ca.certPem };
    });
  }

  /**
   * After the inventory has the record but a file could not be written: removes
   * what was written (the state dir's cert.pem stays, so the record stays whole)
   * and revokes the certificate, so no usable copy of it is left unaccounted for.
   * If even the revocation cannot be written, the record stays and the error
   * says to revoke it.
   */
  function rollBack(record: CertRecord, written: string[], before: CertRecord[], cause: unknown): TlsmcpError {
    const keep = join(paths.certDir(record.id), 'cert.pem');
    for (const path of written) {
      try {
        if (path !== keep) rmSync(path, { force: true });
      } catch {
        // Revoked below either way.
      }
    }
    const at = clock().toISOString();
    let revoked = false;
    try {
      writeRevocations(paths.revocations, appendRevocation(readRevocations(paths.revocations), { serial: record.serial, id: record.id, at, reason: 'cessationOfOperation' }));
      writeInventory(paths.inventory, [...before, { ...record, revoked: { at, reason: 'cessationOfOperation' } }]);
      revoked = true;
    } catch (err) {
      logger.error({ event: 'cert_rollback_failed', id: record.id, serial: record.serial, err: (err as Error).message }, 'could not revoke a half-issued certificate');
    }
    logger.error({ event: 'cert_issue_failed', id: record.id, serial: record.serial, revoked }, 'certificate issuance failed after it was recorded');
    const base = toTlsmcpError(cause, 'ERR_STATE_WRITE');
    const what = revoked
      ? `certificate ${record.id} was recorded, then revoked; no file with its key was left`
      : `certificate ${record.id} is recorded in the inventory but could not be revoked`;
    return new TlsmcpError(base.code === 'ERR_INTERNAL' ? 'ERR_STATE_WRITE' : base.code, `${base.message}; ${what}`, {
      fix: revoked ? (base.fix ?? 'fix the cause and issue again') : `${base.fix ?? 'fix the cause'}, then run \`tlsmcp cert revoke ${record.id}\``,
      cause,
      details: { ...base.details, id: record.id, serial: record.serial, revoked },
    });
  }

  return {
    stateDir: paths.root,

    exists: () => caExists(paths),

    caCertPem: () => readCaCertPem(paths),

    async init({ keyType = 'ecdsa-p256', force = false } = {}) {
      return withStateLock(paths.root, async () => {
        if (!force && initDecision(paths) === 'exists') return { created: false, caCertPem: readCaCertPem(paths) };
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

