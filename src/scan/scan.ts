/**
 * `scanTarget`: one TLS posture scan, from target policy to grade. It checks
 * the target against scan.allow/scan.deny, makes a first handshake (and a raw
 * ClientHello) to see whether anything TLS is there, then runs the protocol,
 * suite, chain, client-auth, ALPN, OCSP and HSTS probes through one limiter
 * and one deadline, and turns the result into findings and a grade.
 */
import { isIP } from 'node:net';
import type { Logger } from '../logger.js';
import { TlsmcpError } from '../errors.js';
import { fetchAiaIssuer } from './aia-fetch.js';
import { analyzeChain, type ChainObserved } from './chain.js';
import { completeChain, systemRootPems, anchorsFor, type CompletedChain } from './chain-complete.js';
import { probeCiphers } from './ciphers.js';
import { clientAuthFrom, probeAlpn, probeHsts } from './features.js';
import { buildFindings } from './findings.js';
import { computeGrade } from './grade.js';
import { isTlsAlert, type HandshakeResult, type TlsVersion } from './handshake.js';
import { createDeadline, createLimiter, systemClock, type Clock } from './limiter.js';
import { createProbeContext } from './probe-context.js';
import { probeProtocols } from './protocols.js';
import { createProgressReporter, type ScanProgressListener } from './progress.js';
import { RAW_COMMON_SUITES, type RawVersion } from './raw-hello.js';
import { scanReportSchema, type ScanReport } from './report-schema.js';
import { suiteTraits } from './suite-info.js';
import { checkScanTarget, type LookupFn, type ScanTargetPolicy } from './target-policy.js';

export interface ScanOptions {
  host: string;
  port: number;
  /** Name sent as SNI and checked against the certificate; defaults to host (not for IPs). */
  sni?: string | undefined;
  /** Path (and query) for the HTTP checks such as HSTS; default `/`. */
  path?: string | null | undefined;
  /** Local CA certificate(s), PEM: extra trust anchors; its intermediates also complete a chain. */
  caPem?: string | undefined;
  /** Intermediate certificates (PEM) that may complete a chain the server sends incomplete (--intermediates). */
  intermediatesPem?: string | undefined;
  /** Fetch a missing issuer from the AIA caIssuers URL (default true), under the same target policy. */
  fetchAia?: boolean | undefined;
  /** Source address of every probe (the score marks its own probes with it). */
  sourceAddress?: string | undefined;
  clientCertPem?: string | undefined;
  clientKeyPem?: string | undefined;
  probeTimeoutMs?: number | undefined;
  deadlineMs?: number | undefined;
  /** Handshakes in flight at once (default 4). */
  concurrency?: number | undefined;
  policy?: ScanTargetPolicy | undefined;
}

export interface ScanDeps {
  logger: Logger;
  clock?: Clock;
  lookup?: LookupFn;
  /** Called as each probe group finishes. */
  onProgress?: ScanProgressListener | undefined;
}

const NOT_TESTABLE_ALWAYS = [
  'SSL 2: not probed',
  'revocation: the chain is not checked against OCSP responders or CRLs',
  'suites neither this OpenSSL nor the raw RC4/3DES/DES/EXPORT lists offer (e.g. ARIA, GOST, PSK, SRP)',
];

function validate(o: ScanOptions): void {
  if (o.path !== undefined && o.path !== null && !/^\/[^\s]*$/.test(o.path)) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `path "${o.path}" must start with / and hold no spaces`, { fix: 'pass an https:// URL such as https://api.example.com/app' });
  }
  if (!o.host || /[\s/]/.test(o.host)) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `host "${o.host}" is not a host name or address`, { fix: 'pass HOST:PORT, e.g. api.example.com:443' });
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new TlsmcpError('ERR_ARGUMENT_INVALID', `port ${o.port} is out of range (1-65535)`, { fix: 'pass HOST:PORT with a port from 1 to 65535' });
  if ((o.clientCertPem === undefined) !== (o.clientKeyPem === undefined)) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', '--cert and --key go together: one was given without the other', { fix: 'pass both --cert FILE and --key FILE, or neither' });
  }
}

function unreachableMessage(h: HandshakeResult | undefined, timeoutMs: number): string {
  if (!h) return 'the scan deadline passed before the first probe';
  if (h.errorCode === 'ECONNREFUSED') return 'connection refused';
  if (h.timedOut) return `no answer: TCP connect timed out after ${timeoutMs} ms`;
  return `cannot connect: ${h.errorCode ?? 'unknown error'}`;
}

/**
 * Scans one TLS endpoint. Resolves with a report for anything reachable or not;
 * rejects only for bad arguments (ERR_ARGUMENT_INVALID) and refused targets
 * (ERR_SCAN_TARGET_REFUSED).
 */
export async function scanTarget(options: ScanOptions, deps: ScanDeps): Promise<ScanReport> {
  validate(options);
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  const deadline = createDeadline(clock, options.deadlineMs ?? 60_000);
  const policy = options.policy ?? { allow: [], deny: [] };
  const progress = createProgressReporter(deps.onProgress);
  const checked = await checkScanTarget(options.host, policy, deps.lookup);
  progress.done('target', checked.address ? `${options.host} allowed, dialling ${checked.address}` : (checked.resolveError ?? 'does not resolve'));
  const path = options.path ?? '/';
  const servername = options.sni ?? (isIP(options.host) === 0 ? options.host : undefined);
  const hostname = options.sni ?? options.host;
  const clientCert = options.clientCertPem && options.clientKeyPem ? { cert: options.clientCertPem, key: options.clientKeyPem } : undefined;

  const base: Omit<ScanReport, 'grade' | 'findings'> = {
    target: { host: options.host, port: options.port, address: checked.address ?? '', sni: servername ?? null, path },
    started_at: new Date(started).toISOString(),
    duration_ms: 0,
    reachable: false,
    tls: false,
    error: null,
    partial: false,
    protocols: [],
    suites: [],
    server_preference: null,
    preferred_order: {},
    chain: null,
    client_auth: { requested: null, required: null, presented: clientCert !== undefined, note: 'not tested' },
    ocsp_stapling: null,
    alpn: [],
    hsts: null,
    not_testable: [...NOT_TESTABLE_ALWAYS],
    findings: [],
  } as Omit<ScanReport, 'grade' | 'findings'>;
  const finish = (r: Omit<ScanReport, 'grade' | 'findings'>, findings: ScanReport['findings'], grade: ScanReport['grade']): ScanReport =>
    scanReportSchema.parse({ ...r, duration_ms: clock.now() - started, findings, grade });

  if (!checked.address) {
    const error = checked.resolveError ?? `cannot resolve ${options.host}`;
    return finish({ ...base, error }, [{ id: 'unresolvable', severity: 'high', title: 'Host name does not resolve', evidence: error, fix: 'check the host name and DNS' }], null);
  }

  const ctx = createProbeContext({
    address: checked.address,
    port: options.port,
    servername,
    clientCert,
    localAddress: options.sourceAddress,
    probeTimeoutMs,
    deadline,
    limiter: createLimiter(options.concurrency ?? 4),
  });
  deps.logger.debug({ host: options.host, address: checked.address, port: options.port }, 'scan: start');

  // First contact: a default modern client (also the certless client-auth probe when no cert is given).
  const [baseline, raw12] = await Promise.all([
    ctx.handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.3', ciphers: 'DEFAULT', requestOCSP: true, awaitVerdict: true }),
    ctx.rawHello('TLSv1.2', RAW_COMMON_SUITES),
  ]);
  const connected = Boolean(baseline?.connected || raw12?.connected);
  progress.done('first contact', connected ? (baseline?.secure ? `handshake with ${baseline.protocol ?? 'TLS'}` : 'connected') : 'no connection');
  const spokeTls = Boolean(baseline?.secure || raw12?.serverVersion !== undefined || raw12?.alert !== undefined || isTlsAlert(baseline?.errorCode));
  if (!connected) {
    const error = unreachableMessage(baseline, probeTimeoutMs);
    return finish({ ...base, error }, [{ id: 'unreachable', severity: 'high', title: 'No TCP connection', evidence: `${checked.address}:${options.port}: ${error}`, fix: 'check the host, port and firewall; is the service running?' }], null);
  }
  if (!spokeTls) {
    const error =
      raw12?.error === 'not-tls'
        ? 'not a TLS server: it answered a ClientHello with bytes that are not a TLS record'
        : raw12?.timedOut || baseline?.timedOut
          ? `not a TLS server: it accepted the connection but sent no TLS answer within ${probeTimeoutMs} ms`
          : `not a TLS server: it closed the connection without a TLS answer (${baseline?.errorCode ?? raw12?.error ?? 'closed'})`;
    return finish({ ...base, reachable: true, error }, [{ id: 'not-tls', severity: 'high', title: 'Not a TLS server', evidence: error, fix: 'check the port: this one does not speak TLS' }], null);
  }

  const protocols = await probeProtocols(ctx);
  progress.done('protocols', `offered: ${protocols.results.filter((p) => p.status === 'offered').map((p) => p.name).join(', ') || 'none'}`);
  const nodeVersions = (['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as TlsVersion[]).filter((v) => protocols.handshakes.has(v));
  const rawOnly = protocols.results
    .filter((p) => p.status === 'offered' && p.name !== 'TLSv1.3' && !protocols.handshakes.has(p.name as TlsVersion))
    .map((p) => p.name as RawVersion);
  const best = nodeVersions[nodeVersions.length - 1];
  const hostHeader = isIP(options.host) === 6 ? `[${options.host}]:${options.port}` : `${servername ?? options.host}:${options.port}`;
  const features = Promise.all([
    options.caPem && best ? ctx.handshake({ minVersion: best, maxVersion: best, ca: [options.caPem] }) : Promise.resolve(undefined),
    best ? probeAlpn(ctx, best) : Promise.resolve([]),
    best ? probeHsts(ctx, best, hostHeader, path) : Promise.resolve(null),
    clientCert && best ? ctx.handshake({ minVersion: best, maxVersion: best, withClientCert: false, awaitVerdict: true }) : Promise.resolve(baseline),
  ]).then((r) => {
    progress.done('ALPN, HSTS, client auth', `HSTS on ${path}: ${r[2] === null ? 'not HTTP' : (r[2].header ?? 'none')}`);
    return r;
  });
  const ciphersDone = probeCiphers(ctx, nodeVersions, rawOnly).then((c) => {
    progress.done('cipher suites', `${c.suites.length} accepted`);
    return c;
  });
  const [ciphers, [local, alpn, hsts, certless]] = await Promise.all([ciphersDone, features]);

  // The chain exactly as sent comes from a plaintext TLS <= 1.2 flight; otherwise Node's rebuilt chain.
  const rawWithCerts = [raw12, ...protocols.raw.values()].find((r) => r && r.certificates.length > 0);
  const nodeWithChain = [baseline, ...protocols.handshakes.values()].find((h) => h && h.chain.length > 0);
  const der = rawWithCerts?.certificates ?? nodeWithChain?.chain ?? [];
  const systemProbe = baseline?.secure ? baseline : protocols.handshakes.get(best as TlsVersion);
  const observedChain =
    der.length > 0
      ? analyzeChain({
          der,
          asSent: rawWithCerts !== undefined,
          hostname,
          peer: nodeWithChain?.peer,
          system: systemProbe ? { authorized: systemProbe.authorized, error: systemProbe.authorizationError } : undefined,
          local: local?.secure ? { authorized: local.authorized, error: local.authorizationError } : undefined,
          localAnchors: options.caPem ? [options.caPem] : [],
          nowMs: clock.now(),
        })
      : null;
  const chain = observedChain ? await completeAndJudge(observedChain, der, { ctx, best, options, policy, probeTimeoutMs, deps }) : null;
  progress.done('chain', chain ? `${chain.complete ? 'complete as sent' : `incomplete as sent, completion: ${chain.completion.path}`}` : 'no certificate seen');

  const secureRenegotiation = [raw12, ...protocols.raw.values()].find((r) => r?.secureRenegotiation !== undefined && r.serverVersion !== 0x0300)?.secureRenegotiation;
  const defaultClientForwardSecrecy = baseline?.secure && baseline.standardName ? suiteTraits(baseline.standardName, baseline.protocol ?? '').forwardSecrecy : undefined;
  const notTestable = [...base.not_testable, ...ciphers.notes];
  if (chain && !chain.as_sent) notTestable.push('chain order as sent: TLS 1.3 encrypts it; the chain shown is rebuilt by issuer links');
  const clientAuth = clientAuthFrom(clientCert !== undefined, raw12, certless);
  if (clientAuth.requested === null) notTestable.push('whether an optional client certificate is requested (TLS 1.3 encrypts the CertificateRequest)');

  const observed: Omit<ScanReport, 'grade' | 'findings'> = {
    ...base,
    reachable: true,
    tls: true,
    error: best || rawOnly.length > 0 ? null : 'no handshake completed with any protocol version',
    partial: ctx.skipped() > 0,
    protocols: protocols.results,
    suites: ciphers.suites,
    server_preference: ciphers.serverPreference,
    preferred_order: ciphers.preferredOrder,
    chain,
    client_auth: clientAuth,
    ocsp_stapling: baseline?.secure ? baseline.ocsp !== null && baseline.ocsp !== undefined : null,
    alpn,
    hsts,
    not_testable: notTestable,
  };
  const extra = { secureRenegotiation: rawOnly.length + nodeVersions.filter((v) => v !== 'TLSv1.3').length > 0 ? secureRenegotiation : undefined, defaultClientForwardSecrecy, defaultClientSuite: baseline?.standardName };
  const findings = buildFindings(observed, extra);
  const grade = computeGrade({ report: observed, findings, ...extra });
  progress.done('grade', grade.grade);
  deps.logger.debug({ host: options.host, grade: grade.grade, skipped: ctx.skipped() }, 'scan: done');
  return finish(observed, findings, grade);
}

interface JudgeContext {
  ctx: ReturnType<typeof createProbeContext>;
  best: TlsVersion | undefined;
  options: ScanOptions;
  policy: ScanTargetPolicy;
  probeTimeoutMs: number;
  deps: ScanDeps;
}

/**
 * A chain sent incomplete: look for the missing issuers (local CA, --intermediates,
 * AIA) and, when found, judge trust again on the completed chain with real
 * OpenSSL verification (a handshake whose trust store holds the roots plus the
 * found intermediates). Not found: the chain stays untrusted.
 */
async function completeAndJudge(chain: ChainObserved, der: Buffer[], j: JudgeContext): Promise<ScanReport['chain'] & object> {
  if (chain.complete) return { ...chain, completion: { path: 'as-sent', added: [], note: null } };
  const localCaPems = j.options.caPem ? [j.options.caPem] : [];
  const completed: CompletedChain = await completeChain(der, {
    anchors: anchorsFor(localCaPems),
    localCaPems,
    intermediatePems: j.options.intermediatesPem ? [j.options.intermediatesPem] : [],
    fetchAia:
      j.options.fetchAia === false
        ? undefined
        : (url) => fetchAiaIssuer(url, { policy: j.policy, lookup: j.deps.lookup, timeoutMs: Math.max(1, j.ctx.deadline.budget(j.probeTimeoutMs)) }),
  });
  const { addedPems, ...completion } = completed;
  if (completion.path === 'unobtainable' || addedPems.length === 0 || !j.best) return { ...chain, completion };
  const best = j.best;
  const [system, local] = await Promise.all([
    j.ctx.handshake({ minVersion: best, maxVersion: best, ca: [...systemRootPems(), ...addedPems] }),
    j.options.caPem ? j.ctx.handshake({ minVersion: best, maxVersion: best, ca: [j.options.caPem, ...addedPems] }) : Promise.resolve(undefined),
  ]);
  return {
    ...chain,
    completion,
    ...(system?.secure ? { trusted_system: system.authorized, system_error: system.authorized ? null : (system.authorizationError ?? 'not verified') } : {}),
    ...(local?.secure ? { trusted_local_ca: local.authorized, local_ca_error: local.authorized ? null : (local.authorizationError ?? 'not verified') } : {}),
  };
}
