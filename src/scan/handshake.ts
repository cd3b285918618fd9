/**
 * One TLS handshake with a deadline, as the scanner's probes need it: it never
 * throws and never hangs. It reports what Node's tls exposes (protocol, suite,
 * ephemeral key, ALPN, OCSP, trust verdict, peer chain) and, when asked, what
 * the server does after the handshake: in TLS 1.3 a server that requires a
 * client certificate says so only after `secureConnect`, with alert 116.
 */
import tls from 'node:tls';
import type { PeerCertificate, DetailedPeerCertificate } from 'node:tls';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface HandshakeOptions {
  address: string;
  port: number;
  servername: string | undefined;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL cipher list; TLS 1.3 suite names (TLS_*) in it set the TLS 1.3 suites. SECLEVEL=0 is appended so old suites and small keys are not refused by us. */
  ciphers?: string;
  /** Trust anchors; undefined means Node's default root store, [] means none. */
  ca?: string[] | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  alpn?: string[];
  requestOCSP?: boolean;
  timeoutMs: number;
  /** After secureConnect, wait for the server's verdict on our (absent) client certificate. */
  awaitVerdict?: boolean;
  /** Written after secureConnect; the reply (up to 64 KiB) is returned in `response`. */
  request?: string;
  /** Source address to dial from (the score marks its probes this way). */
  localAddress?: string | undefined;
}

export interface HandshakeResult {
  /** TCP connection established. */
  connected: boolean;
  /** secureConnect fired: the server completed its side of the handshake. */
  secure: boolean;
  timedOut: boolean;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  protocol: string | undefined;
  standardName: string | undefined;
  opensslName: string | undefined;
  ephemeral: { type?: string; name?: string; size?: number } | undefined;
  authorized: boolean;
  authorizationError: string | undefined;
  alpn: string | undefined;
  /** undefined: not requested; null: requested, none stapled. */
  ocsp: Buffer | null | undefined;
  /** Leaf first, linked by issuer; DER. */
  chain: Buffer[];
  peer: PeerCertificate | undefined;
  /** With awaitVerdict: accepted (session ticket or data), rejected (alert), or unknown. */
  verdict: 'accepted' | 'rejected' | 'unknown' | undefined;
  response: string | undefined;
}

function chainOf(peer: DetailedPeerCertificate | undefined): Buffer[] {
  const out: Buffer[] = [];
  let cur: DetailedPeerCertificate | undefined = peer;
  while (cur && cur.raw && out.length < 10) {
    out.push(cur.raw);
    const next: DetailedPeerCertificate | undefined = cur.issuerCertificate;
    if (!next || next === cur || next.raw?.equals(cur.raw)) break;
    cur = next;
  }
  return out;
}

/** Performs one handshake; resolves (never rejects) within about `timeoutMs`. */
export function handshake(options: HandshakeOptions): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const result: HandshakeResult = {
      connected: false,
      secure: false,
      timedOut: false,
      errorCode: undefined,
      errorMessage: undefined,
      protocol: undefined,
      standardName: undefined,
      opensslName: undefined,
      ephemeral: undefined,
      authorized: false,
      authorizationError: undefined,
      alpn: undefined,
      ocsp: options.requestOCSP ? null : undefined,
      chain: [],
      peer: undefined,
      verdict: undefined,
      response: undefined,
    };
    let done = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const connectOptions: tls.ConnectionOptions & { requestOCSP?: boolean } = {
      host: options.address,
      port: options.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      servername: options.servername,
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: `${options.ciphers ?? 'DEFAULT'}:@SECLEVEL=0`,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
      requestOCSP: options.requestOCSP ?? false,
      rejectUnauthorized: false,
      // Scanning looks at the server's answer, not at whether we would trust it.
      checkServerIdentity: () => undefined,
    };
    // requestOCSP is a documented tls.connect option missing from @types/node.
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect(connectOptions);
    } catch (err) {
      // OpenSSL refuses some option sets synchronously (e.g. a cipher list it cannot offer).
      result.errorCode = (err as NodeJS.ErrnoException).code ?? 'ERR_UNKNOWN';
      result.errorMessage = (err as Error).message;
      resolve(result);
      return;
    }
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (chunks.length > 0) result.response = Buffer.concat(chunks).toString('latin1');
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      if (result.secure && options.awaitVerdict && result.verdict === undefined) result.verdict = 'unknown';
      finish();
    }, options.timeoutMs);
    socket.once('connect', () => {
      result.connected = true;
    });
    socket.on('OCSPResponse', (der: Buffer) => {
      result.ocsp = der && der.length > 0 ? der : null;
    });
    socket.once('secureConnect', () => {
      result.secure = true;
      result.protocol = socket.getProtocol() ?? undefined;
      const cipher = socket.getCipher();
      result.standardName = cipher?.standardName;
      result.opensslName = cipher?.name;
      const eph = socket.getEphemeralKeyInfo();
      result.ephemeral = eph && Object.keys(eph).length > 0 ? (eph as HandshakeResult['ephemeral']) : undefined;
      result.authorized = socket.authorized;
      const authErr = socket.authorizationError as unknown;
      result.authorizationError = authErr === null || authErr === undefined ? undefined : String((authErr as { code?: string }).code ?? authErr);
      result.alpn = socket.alpnProtocol || undefined;
      const peer = socket.getPeerCertificate(true);
      result.peer = peer && Object.keys(peer).length > 0 ? peer : undefined;
      result.chain = chainOf(result.peer as DetailedPeerCertificate | undefined);
      // Before TLS 1.3 the server checks the client certificate before its Finished.
      if (options.awaitVerdict && result.protocol !== 'TLSv1.3') result.verdict = 'accepted';
      if (options.request !== undefined) {
        socket.write(options.request);
      } else if (!options.awaitVerdict || result.verdict !== undefined) {
        finish();
      }
    });
    socket.on('session', () => {
      if (result.secure && options.awaitVerdict && result.verdict === undefined) {
        result.verdict = 'accepted';
        if (options.request === undefined) finish();
      }
    });
    socket.on('data', (data: Buffer) => {
      if (options.awaitVerdict && result.verdict === undefined) result.verdict = 'accepted';
      if (size < 65_536) {
        chunks.push(data);
        size += data.length;
      }
      if (options.request === undefined || Buffer.concat(chunks).includes('\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      result.errorCode = err.code ?? 'ERR_UNKNOWN';
      result.errorMessage = err.message;
      if (result.secure && options.awaitVerdict && result.verdict === undefined) {
        result.verdict = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA|ACCESS_DENIED/.test(result.errorCode) ? 'rejected' : 'unknown';
      }
      finish();
    });
  });
}

/** True when the error is the server talking TLS back to us (an alert), not a network failure. */
export function isTlsAlert(code: string | undefined): boolean {
  return code !== undefined && /^ERR_SSL_/.test(code) && /ALERT/.test(code);
}

/** Network-level failures: nothing TLS happened. */
export function isNetworkError(code: string | undefined): boolean {
  return code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}
