/**
 * Enrollment of an instance with the Hub (`tlsmcp init --hub-url`, or the
 * first `tlsmcp run` with hub.auth_token): pins the Hub CA named by the token's
 * hash before sending the token, makes the key locally, has the Hub sign its
 * CSR (instance and server certificates), and caches what it got in STATE/hub/.
 */
import { X509Certificate } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { generateKeyPair, keyAlgorithms } from '../ca/keys.js';
import { x509 } from '../ca/x509.js';
import { createMtlsFetch } from '../connect/mtls-fetch.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';
import { mergeFeedCache, readEnrollment, sidecarHubPaths, writeCredentials, writeEnrollment, type Enrollment } from './sidecar-files.js';
import { caFingerprint, pinnedCaOf } from './tokens.js';
import type { EnrollResult } from './hub-service.js';

export interface EnrollOptions {
  hubUrl: string;
  token: string;
  /** The service the instance expects to join; the Hub refuses a token made for another. */
  serviceId?: string | undefined;
  stateDir: string;
  /** Names the server certificate covers (default localhost and 127.0.0.1). */
  serverNames?: { dns: string[]; ip: string[] } | undefined;
  logger?: Logger | undefined;
  timeoutMs?: number | undefined;
}

export interface EnrollOutcome {
  enrolled: boolean;
  enrollment: Enrollment;
  ca_sha256: string;
}

/** What POST /api/v1/enroll answers: the Hub service's own result type, so the two cannot drift. */
type EnrollAnswer = EnrollResult;

/** Reads the Hub's certificate chain and returns the CA whose hash the token pins, checking it signed the Hub's certificate. */
export async function fetchPinnedCa(hubUrl: string, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL(hubUrl);
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    // Verification is done below against the pinned hash, not against a store.
    const s = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), rejectUnauthorized: false, servername: isIpLiteral(url.hostname) ? undefined : url.hostname });
    const timer = setTimeout(() => s.destroy(new Error('timed out')), timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new TlsmcpError('ERR_HUB_UNREACHABLE', `cannot reach the Hub at ${hubUrl}: ${err.message}`, { fix: 'check --hub-url (https://HOST:PORT) and that `tlsmcp hub serve` runs there', cause: err }),
      );
    });
  });
  try {
    const chain: X509Certificate[] = [];
    for (let c = socket.getPeerCertificate(true); c && c.raw; c = c.issuerCertificate) {
      const cert = new X509Certificate(c.raw);
      if (chain.some((x) => x.fingerprint256 === cert.fingerprint256)) break;
      chain.push(cert);
    }
    const leaf = chain[0];
    const ca = chain.find((c) => caFingerprint(c.toString()) === fingerprint);
    if (!leaf || !ca || !leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
      throw new TlsmcpError('ERR_CERT_INVALID', `the server at ${hubUrl} is not the Hub this token was made for (its CA does not match the token's hash)`, {
        fix: 'check --hub-url; the token pins the CA of the Hub that created it',
      });
    }
    return ca.toString();
  } finally {
    socket.destroy();
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.startsWith('[');
}

async function makeCsr(): Promise<{ csrPem: string; keyPem: string }> {
  const key = await generateKeyPair('ecdsa-p256');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=tlsmcp-instance', keys: key.keys, signingAlgorithm: keyAlgorithms('ecdsa-p256').signingAlgorithm });
  return { csrPem: csr.toString('pem'), keyPem: key.keyPem };
}

/** Enrolls the state dir with the Hub; an already enrolled state dir is left as it is. */
export async function enrollInstance(options: EnrollOptions): Promise<EnrollOutcome> {
  const paths = sidecarHubPaths(options.stateDir);
  const existing = readEnrollment(paths);
  if (existing) {
    const { readFileSync } = await import('node:fs');
    return { enrolled: false, enrollment: existing, ca_sha256: caFingerprint(readFileSync(paths.ca, 'utf8')) };
  }
  const pinned = pinnedCaOf(options.token);
  const caPem = await fetchPinnedCa(options.hubUrl, pinned, options.timeoutMs);
  const { csrPem, keyPem } = await makeCsr();
  const http = createMtlsFetch({ caPem });
  let answer: EnrollAnswer;
  try {
    const res = await http.fetch(new URL('/api/v1/enroll', options.hubUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: options.token.trim(), service_id: options.serviceId, csr: csrPem, server_names: options.serverNames, version: VERSION }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const body = (await res.json()) as EnrollAnswer & { error?: { code: string; message: string; fix: string | null } };
    if (!res.ok) {
      const e = body.error;
      throw new TlsmcpError(e?.code === 'ERR_TOKEN_INVALID' ? 'ERR_TOKEN_INVALID' : 'ERR_HUB_UNREACHABLE', `the Hub refused the enrollment: ${e?.message ?? `HTTP ${res.status}`}`, {
        ...(e?.fix ? { fix: e.fix } : {}),
      });
    }
    answer = body;
  } finally {
    await http.close();
  }
  if (caFingerprint(answer.ca_pem) !== pinned) {
    throw new TlsmcpError('ERR_CERT_INVALID', 'the Hub answered with a CA other than the one the token pins', { fix: 'check --hub-url' });
  }
  writeCredentials(paths, { caPem, keyPem, instanceCertPem: answer.cert_pem, serverCertPem: answer.server_cert_pem });
  mergeFeedCache(paths, answer.revocations, answer.cursor);
  const enrollment: Enrollment = {
    hub_url: options.hubUrl,
    instance_id: answer.instance_id,
    service_id: answer.service_id,
    cert_id: answer.cert_id,
    server_cert_id: answer.server_cert_id,
    enrolled_at: new Date().toISOString(),
  };
  writeEnrollment(paths, enrollment);
  options.logger?.info({ event: 'hub_enrolled', instance_id: answer.instance_id, service_id: answer.service_id }, 'enrolled with the Hub');
  return { enrolled: true, enrollment, ca_sha256: pinned };
}
