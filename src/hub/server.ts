/**
 * `tlsmcp hub serve` as a library: opens the store, checks the Hub's CA,
 * issues (or reuses) the Hub's server certificate, and serves the app over
 * HTTPS with a client-certificate request. Returns `{ url, close() }`.
 */
import { serve, type ServerType } from '@hono/node-server';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CertificateAuthority } from '../ca/types.js';
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { formatHostPort, type HostPort } from '../util/address.js';
import { VERSION } from '../version.js';
import { createHubApp } from './app.js';
import { createFeedBroker } from './feed-broker.js';
import { HUB_SERVICE, hubTtlPolicy, type HubConfig } from './hub-config.js';
import { createHubService, type HubService } from './hub-service.js';
import { createHubCa } from './hub-state.js';
import { openHubStore, streamBroker } from './open-store.js';
import type { HubStore } from './store.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks.js';
import { createHash } from 'node:crypto';

export interface StartHubOptions {
  stateDir: string;
  listen: HostPort;
  config: HubConfig;
  logger: Logger;
  clock?: () => Date;
  /** Keep-alive comments on the stream (default 15 s). */
  heartbeatMs?: number;
  /** Another store; default PostgreSQL when a database URL is set (here or config.database_url), else the embedded SQLite store in the state dir. */
  store?: HubStore;
  /** postgres://… : the shared store of several Hub replicas. */
  databaseUrl?: string | undefined;
}

export interface Hub {
  url: string;
  address: HostPort;
  service: HubService;
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

async function serverCertificate(ca: CertificateAuthority, listenHost: string, config: HubConfig): Promise<{ cert: string; key: string }> {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '';
  const names = [...new Set([...(wildcard ? [] : [listenHost]), 'localhost', '127.0.0.1', ...config.server_names])];
  const dns = names.filter((n) => !isIP(n));
  const ip = names.filter((n) => isIP(n));
  const renewBefore = config.server_cert.renew_before;
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  const reusable = (await ca.list({ service: HUB_SERVICE, type: 'server' })).find(
    (c) => c.status !== 'revoked' && Date.parse(c.not_after) - renewBefore > Date.now() && c.files.key && existsSync(c.files.key) && same(c.sans.dns, dns) && same(c.sans.ip, ip),
  );
  if (reusable?.files.key) return { cert: readFileSync(reusable.files.cert, 'utf8'), key: readFileSync(reusable.files.key, 'utf8') };
  const issued = await ca.issue({ type: 'server', service: HUB_SERVICE, cn: dns[0] ?? 'tlsmcp-hub', dns, ip });
  return { cert: issued.certPem, key: issued.keyPem! };
}

export async function startHub(options: StartHubOptions): Promise<Hub> {
  const { logger, config } = options;
  const ca = createHubCa(options.stateDir, config, logger, options.clock);
  if (!ca.exists()) {
    throw new TlsmcpError('ERR_HUB_NOT_INITIALIZED', `no Hub CA in ${options.stateDir}`, { fix: `run \`tlsmcp hub init --state ${options.stateDir}\` first` });
  }
  const databaseUrl = options.databaseUrl ?? config.database_url;
  const store = options.store ?? (await openHubStore({ stateDir: options.stateDir, databaseUrl, logger, listen: true }));
  const broker = createFeedBroker();
  const service = createHubService({ ca, store, broker, policy: hubTtlPolicy(config), logger, ...(options.clock ? { clock: options.clock } : {}) });
  const reconciled = await service.reconcile();
  if (reconciled > 0) logger.warn({ event: 'hub_reconciled', count: reconciled }, 'copied revocations the store had missed into the feed');
  const known = new Set((await store.listWebhooks()).map((w) => w.url));
  for (const w of config.webhooks) {
    if (known.has(w.url)) continue;
    await store.addWebhook({ id: createHash('sha256').update(w.url).digest('hex').slice(0, 12), url: w.url, secret: w.secret, created_at: new Date().toISOString() });
  }
  const webhooks = createWebhookDispatcher({ store, broker, logger });
  // On a shared database the streams follow every replica's changes (src/hub/replica-fanout.ts).
  const streams = await streamBroker(store, broker, logger);
  const tls = await serverCertificate(ca, options.listen.host, config);
  const app = createHubApp({ service, broker: streams.broker, webhooks, logger, version: VERSION, heartbeatMs: options.heartbeatMs ?? 15_000, admins: config.admins });

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve(
        {
          fetch: app.fetch,
          hostname: options.listen.host,
          port: options.listen.port,
          createServer,
          // The chain includes the CA so an enrolling instance can check it against the hash its token pins.
          serverOptions: { cert: tls.cert.trimEnd() + '\n' + ca.caCertPem(), key: tls.key, ca: [ca.caCertPem()], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
        },
        () => resolve(s),
      );
      s.once('error', reject);
    });
  } catch (err) {
    webhooks.close();
    streams.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new TlsmcpError('ERR_PROXY', `--listen ${formatHostPort(options.listen)}: cannot listen (${code ?? (err as Error).message})`, {
      fix: code === 'EADDRINUSE' ? 'another process holds that port: pick another --listen (port 0 picks a free one)' : 'check --listen',
      cause: err,
    });
  }
  const bound = server.address() as AddressInfo;
  const address = { host: options.listen.host, port: bound.port };
  const urlHost = isIP(address.host) === 6 ? `[${address.host}]` : address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host;
  const url = `https://${urlHost}:${address.port}`;
  logger.info({ event: 'hub_listening', url }, `Hub listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    address,
    service,
    webhooks,
    close() {
      closing ??= (async () => {
        webhooks.close();
        const https = server as HttpsServer;
        await new Promise<void>((resolve) => {
          https.close(() => resolve());
          // Streams never end by themselves: cut them so close() finishes.
          https.closeAllConnections();
        });
        streams.close();
        await store.close();
      })();
      return closing;
    },
  };
}
