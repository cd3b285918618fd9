/**
 * `tlsmcp connect`'s engine: a stdio MCP server whose every message is relayed,
 * unchanged, to a remote MCP endpoint over mutual TLS (Streamable HTTP, falling
 * back to legacy SSE). stdout carries JSON-RPC only. The remote session is
 * re-opened (handshake replayed) when the server forgets it or its stream drops;
 * requests that cannot be delivered are answered at once with the reason (a
 * refused, revoked or expired certificate, an unreachable server) instead of
 * leaving the stdio client waiting.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from '../logger.js';
import { createHttpClientTransport, type HttpTransportKind } from '../mcp-front/http-client-transport.js';
import { isSessionLost, isStreamLost } from '../mcp-front/link-errors.js';
import { createRelay } from '../mcp-front/relay.js';
import { createResilientTransport, type RestartPolicy } from '../mcp-front/resilient-transport.js';
import type { AgentPolicy } from '../mcp-front/policy.js';
import { describeLinkError, diagnoseLinkError, isCertificateRefusal, localCertificateProblem } from './describe-error.js';
import { createMtlsFetch } from './mtls-fetch.js';

export interface ConnectBridgeOptions {
  url: URL;
  certPem: string;
  keyPem: string;
  caPem?: string | undefined;
  servername?: string | undefined;
  transport?: HttpTransportKind | undefined;
  stdin: Readable;
  stdout: Writable;
  logger: Logger;
  /** Reconnection backoff; by default it keeps trying, up to 30 s apart. */
  restart?: Partial<RestartPolicy> | undefined;
  /** Told once, in plain words, when the server refuses the certificate for good. */
  onFatal?: ((message: string) => void) | undefined;
}

export interface ConnectBridge {
  /** Resolves once stdio is being read. */
  start(): Promise<void>;
  /** Settles when stdin ends or close() is called. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

const PASS_EVERYTHING: AgentPolicy = { decide: (kind, name) => ({ allowed: true, permission: `${kind}:${name}`, reason: 'bridge' }) };

const CONNECT_RESTART: Partial<RestartPolicy> = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  // Keep trying through an outage; a refused certificate ends it sooner (isFatal).
  maxRestarts: 1_000,
  windowMs: 3_600_000,
};

export function createConnectBridge(options: ConnectBridgeOptions): ConnectBridge {
  const { url, logger } = options;
  const mtls = createMtlsFetch({ certPem: options.certPem, keyPem: options.keyPem, caPem: options.caPem, servername: options.servername });
  const probeTarget = { url, certPem: options.certPem, keyPem: options.keyPem, caPem: options.caPem, servername: options.servername };
  let fatalReported = false;
  const reportFatal = (message: string) => {
    if (fatalReported) return;
    fatalReported = true;
    logger.error({ url: url.href, reason: message }, 'MCP server unavailable');
    options.onFatal?.(message);
  };

  const backend = createResilientTransport({
    create: () => createHttpClientTransport({ url, fetch: mtls.fetch, kind: options.transport, logger }),
    logger,
    label: url.origin + url.pathname,
    restart: { ...CONNECT_RESTART, ...options.restart },
    isSessionLost,
    isStreamLost,
    isFatal: isCertificateRefusal,
    describeError: (err) => describeLinkError(err, url),
    queueWhileRestarting: false,
  });
  const front = new StdioServerTransport(options.stdin, options.stdout);
  const relay = createRelay({
    front,
    backend,
    policy: PASS_EVERYTHING,
    logger,
    label: url.origin + url.pathname,
    whenBackendGone: 'reject',
    describeError: async (err) => {
      const message = await diagnoseLinkError(err, probeTarget);
      if (isCertificateRefusal(err) || /refused the client certificate|client certificate (has )?expired|certificate is revoked/.test(message)) reportFatal(message);
      else logger.warn({ url: url.href, reason: message }, 'request to the MCP server failed');
      return message;
    },
  });
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await relay.close();
      await mtls.close().catch(() => mtls.destroy());
      resolveDone();
    })();
    return closing;
  };
  relay.onclose = () => void close();

  return {
    done,
    async start() {
      const local = localCertificateProblem(options.certPem);
      if (local) reportFatal(local);
      await relay.start();
      // When the backend gives up for good the relay keeps answering with the reason; say it once on stderr too.
      const relayOnclose = backend.onclose;
      backend.onclose = () => {
        if (backend.failure) reportFatal(backend.failure);
        relayOnclose?.();
      };
      options.stdin.once('end', () => void close());
      options.stdin.once('close', () => void close());
    },
    close,
  };
}
