/**
 * The three listener kinds of tlsmcp, in process, on one PKI and one mtls
 * policy: a TCP proxy service, an MCP front service and the remote MCP
 * listener. `verdict(cert)` says whether each let a client in, the way a
 * client sees it: the TCP echo came back, or the MCP initialize got a 200.
 */
import { request } from 'node:https';
import { join } from 'node:path';
import type { IssueResult } from '../../src/ca/types.js';
import { createMcpServer } from '../../src/app/mcp-server.js';
import { parseConfig } from '../../src/config/load.js';
import type { MtlsPolicy } from '../../src/core/admission.js';
import { createRevocationFeed, type RevocationFeed } from '../../src/core/revocation.js';
import { createSilentLogger } from '../../src/logger.js';
import { createMcpFront, type McpFront } from '../../src/mcp-front/index.js';
import { startRemoteListener, type RemoteListener } from '../../src/mcp/remote/listener.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import type { TestPki } from './ca-fixture.js';
import { startEchoBackend, type CountingBackend } from './proxy-backend.js';
import { serverMaterial, startProxy, testSpec, tryEcho, type RunningProxy } from './proxy-fixture.js';
import { startTestMcpBackend, type TestMcpBackend } from './mcp-front-backend.js';

export type ListenerKind = 'tcp' | 'mcp-front' | 'mcp-remote';
export const LISTENER_KINDS: ListenerKind[] = ['tcp', 'mcp-front', 'mcp-remote'];
export type Verdict = 'accepted' | 'refused';

export interface CoreListeners {
  /** One revocation feed shared by the three (as in one process). */
  revocations: RevocationFeed;
  tcpPort: number;
  frontPort: number;
  remotePort: number;
  frontOrigin: string;
  remoteOrigin: string;
  verdict(kind: ListenerKind, cert: IssueResult | undefined): Promise<Verdict>;
  /** Bytes that reached the TCP backend's accept queue so far. */
  backendConnections(): number;
  close(): Promise<void>;
}

type Mtls = Omit<MtlsPolicy, 'mode'>;

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'verdict', version: '0' } },
});

/** POSTs a JSON-RPC message to /mcp with the certificate (and a session id); the HTTP status (0 when the connection failed) and the session id answered. */
export function postMcp(origin: string, caPem: string, cert: IssueResult | undefined, body: string = INITIALIZE, sessionId?: string): Promise<{ status: number; sessionId: string | undefined }> {
  return new Promise((resolve) => {
    const req = request(`${origin}/mcp`, {
      method: 'POST',
      ca: caPem,
      servername: 'localhost',
      ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        connection: 'close',
        ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
    }, (res) => {
      const id = res.headers['mcp-session-id'];
      const done = () => resolve({ status: res.statusCode ?? 0, sessionId: Array.isArray(id) ? id[0] : id });
      res.resume();
      res.once('end', done);
      res.once('error', done);
    });
    req.once('error', () => resolve({ status: 0, sessionId: undefined }));
    req.end(body);
  });
}

export async function initializeStatus(origin: string, caPem: string, cert: IssueResult | undefined): Promise<number> {
  return (await postMcp(origin, caPem, cert)).status;
}

export async function startCoreListeners(pki: TestPki, mtls: Mtls, revoked: string[] = [], options: { handshakeTimeoutMs?: number; maxSessionsPerIdentity?: number } = {}): Promise<CoreListeners> {
  const logger = createSilentLogger();
  const revocations = createRevocationFeed(revoked);
  const server = await pki.server();
  const material = serverMaterial(server, [pki.caPem]);
  let echo: CountingBackend | undefined;
  let proxy: RunningProxy | undefined;
  let mcpBackend: TestMcpBackend | undefined;
  let front: McpFront | undefined;
  let remote: RemoteListener | undefined;
  const auditLog = createAuditLog(join(pki.dir, 'core-audit.log'));
  const close = async () => {
    await remote?.close();
    await front?.close();
    await proxy?.service.drain(0);
    await mcpBackend?.close();
    await echo?.close();
    await auditLog.close();
  };
  try {
    echo = await startEchoBackend();
    proxy = await startProxy(testSpec({ backendPort: echo.port, mtls: { mode: 'required', ...mtls } }), material);
    // The proxy fixture makes its own feed: follow the shared one.
    const proxyFeed = proxy.revocations;
    await proxyFeed.add(revocations.list());
    revocations.subscribe(async (serials) => (await proxyFeed.add(serials)).cut);

    mcpBackend = await startTestMcpBackend();
    const config = parseConfig({
      revocation_refresh: '250ms',
      services: [{ name: 'front', listen: '127.0.0.1:0', protocol: 'mcp', backend: { url: mcpBackend.url }, mtls: { mode: 'required', ...mtls }, ...(options.handshakeTimeoutMs ? { limits: { handshake_timeout: `${options.handshakeTimeoutMs}ms` } } : {}) }],
      mcp: { transport: 'http', sse_address: '127.0.0.1:0', self_secure: true, mtls, ...(options.maxSessionsPerIdentity ? { max_sessions_per_identity: options.maxSessionsPerIdentity } : {}) },
    }, 'core listeners');
    front = createMcpFront({
      service: config.services[0]!,
      tls: material,
      auditLog,
      logger,
      revocations,
      sessionLimits: { idleTimeoutMs: config.mcp.session_idle_timeout, maxPerIdentity: config.mcp.max_sessions_per_identity, maxTotal: config.mcp.max_sessions },
    });
    const frontPort = (await front.listen()).port;

    remote = await startRemoteListener({
      deps: { ca: pki.ca, config, stateDir: pki.stateDir, auditLog, logger, clock: () => new Date(), revocations },
      createServer: createMcpServer,
      address: config.mcp.sse_address,
      selfSecure: true,
      revocations,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    });
    const remoteOrigin = `https://127.0.0.1:${remote.address.port}`;
    const frontOrigin = `https://127.0.0.1:${frontPort}`;
    const tcpPort = proxy.port;
    const backend = echo;
    return {
      revocations,
      tcpPort,
      frontPort,
      remotePort: remote.address.port,
      frontOrigin,
      remoteOrigin,
      async verdict(kind, cert) {
        if (kind === 'tcp') return (await tryEcho({ port: tcpPort, caPem: pki.caPem, ...(cert ? { cert } : {}) })).echoed ? 'accepted' : 'refused';
        const status = await initializeStatus(kind === 'mcp-front' ? frontOrigin : remoteOrigin, pki.caPem, cert);
        return status === 200 ? 'accepted' : 'refused';
      },
      backendConnections: () => backend.connections,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
