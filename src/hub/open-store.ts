/**
 * Picks the Hub's store: PostgreSQL when a database URL is set (the
 * `--database-url` flag, else `database_url` in the Hub config, else
 * $TLSMCP_HUB_DATABASE_URL), the embedded SQLite store in the state dir
 * otherwise. `hub init`, `hub serve` and `hub token create` all open it here,
 * and serve gets the broker that fits: the replica fan-out on PostgreSQL.
 */
import { TlsmcpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FeedBroker } from './feed-broker.js';
import { hubPaths } from './hub-state.js';
import { isPostgresUrl, openPgStore, redactDatabaseUrl, type PgHubStore } from './pg-store.js';
import { createReplicaFanout } from './replica-fanout.js';
import { openSqliteStore } from './sqlite-store.js';
import type { HubStore } from './store.js';

export interface OpenHubStoreOptions {
  stateDir: string;
  databaseUrl?: string | undefined;
  logger: Logger;
  /** Follow other replicas' feed notifications (hub serve). */
  listen?: boolean;
}

/** The URL in effect: flag, then config, then environment. */
export function resolveDatabaseUrl(flag: string | undefined, config: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const url = flag ?? config ?? env.TLSMCP_HUB_DATABASE_URL;
  if (url === undefined || url === '') return undefined;
  if (!isPostgresUrl(url)) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `database_url: "${redactDatabaseUrl(url)}" is not a postgres:// URL`, {
      fix: 'write postgres://USER:PASSWORD@HOST:PORT/DATABASE, or leave it unset for the embedded store',
    });
  }
  return url;
}

export async function openHubStore(options: OpenHubStoreOptions): Promise<HubStore> {
  if (options.databaseUrl) return openPgStore({ databaseUrl: options.databaseUrl, logger: options.logger, listen: options.listen ?? false });
  return openSqliteStore(hubPaths(options.stateDir).db);
}

function isReplicated(store: HubStore): store is PgHubStore {
  return typeof (store as Partial<PgHubStore>).onFeed === 'function';
}

/**
 * The broker the Hub's streams subscribe to. `local` is where this process
 * publishes its own changes (and what its webhook dispatcher follows, so each
 * change is delivered once, by the replica that made it); on a shared database
 * the streams follow the replica fan-out instead, which also carries every other
 * replica's changes.
 */
export async function streamBroker(store: HubStore, local: FeedBroker, logger: Logger): Promise<{ broker: FeedBroker; close(): void }> {
  if (!isReplicated(store)) return { broker: local, close: () => undefined };
  const fanout = await createReplicaFanout({ store, local, logger });
  return { broker: fanout, close: () => fanout.close() };
}
