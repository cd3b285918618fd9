/**
 * Revocation fan-out through Hub replicas: two Hubs on one PostgreSQL database
 * (a throwaway cluster from Debian's packages, or BENCH_DATABASE_URL) sharing
 * one state dir, and 50 followers (the same follower code `tlsmcp run` uses,
 * in-process), half streaming from each replica. Revocations alternate between
 * the replicas; each is timed from the moment its DELETE is answered to the
 * moment each follower has applied it, so half the samples cross replicas
 * through LISTEN/NOTIFY. Reports p50/p99/max over every (revocation, follower)
 * pair, and the cross-replica share on its own.
 *
 * `npx tsx bench/hub-replicas.ts` runs it alone (BENCH_HUB_FOLLOWERS,
 * BENCH_HUB_REVOCATIONS); `runHubReplicasBench()` is for bench/run.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { enrollInstance } from '../src/hub/enroll.js';
import { createHubFollower, type HubFollower } from '../src/hub/follower.js';
import { hubConfigSchema } from '../src/hub/hub-config.js';
import { hubPaths, initHub } from '../src/hub/hub-state.js';
import { startHub, type Hub } from '../src/hub/server.js';
import { createEnrollmentToken } from '../src/hub/tokens.js';
import { createSilentLogger } from '../src/logger.js';
// The test helper's throwaway cluster doubles as the bench's database.
import { startPostgres, type PostgresCluster } from '../test/helpers/postgres.js';
import { percentile } from './children.js';

export type HubReplicasBenchResult =
  | { skipped: string }
  | {
      replicas: 2;
      followers: number;
      revocations: number;
      samples: number;
      p50_ms: number;
      p99_ms: number;
      max_ms: number;
      cross_replica_p50_ms: number;
      cross_replica_p99_ms: number;
      cpus: number;
      loadavg: number[];
    };

export async function runHubReplicasBench({ followers = 50, revocations = 20 } = {}): Promise<HubReplicasBenchResult> {
  let cluster: PostgresCluster | undefined;
  let databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) {
    try {
      cluster = await startPostgres();
      databaseUrl = await cluster.createDatabase('hub_bench');
    } catch (err) {
      await cluster?.stop();
      return { skipped: `no PostgreSQL (${(err as Error).message.split('\n')[0]}); set BENCH_DATABASE_URL or apt-get install postgresql` };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-replicas-bench-'));
  const logger = createSilentLogger();
  const config = hubConfigSchema.parse({ database_url: databaseUrl });
  const hubState = join(dir, 'hub');
  const hubs: Hub[] = [];
  const running: HubFollower[] = [];
  await initHub(hubState, config);
  const paths = hubPaths(hubState);
  const admin = createMtlsFetch({ certPem: readFileSync(paths.adminCert, 'utf8'), keyPem: readFileSync(paths.adminKey, 'utf8'), caPem: readFileSync(paths.adminCa, 'utf8') });
  try {
    for (let r = 0; r < 2; r++) hubs.push(await startHub({ stateDir: hubState, listen: { host: '127.0.0.1', port: 0 }, config, logger }));
    const [a, b] = hubs as [Hub, Hub];
    const arrivals = new Map<string, { at: number; replica: number }[]>();
    for (let i = 0; i < followers; i++) {
      const home = i % 2;
      const stateDir = join(dir, `f${i}`);
      const { token } = await createEnrollmentToken(a.service.store, { serviceId: 'bench', ttlMs: 600_000, now: new Date(), caPem: a.service.ca.caCertPem() });
      await enrollInstance({ hubUrl: hubs[home]!.url, token, serviceId: 'bench', stateDir });
      const follower = createHubFollower({
        urls: [hubs[home]!.url, hubs[1 - home]!.url],
        stateDir,
        serviceIds: ['bench'],
        syncIntervalMs: 1_000,
        reportIntervalMs: 60_000,
        logger,
        onRevocations: (revs) => {
          const at = performance.now();
          for (const rev of revs) (arrivals.get(rev.serial) ?? arrivals.set(rev.serial, []).get(rev.serial)!).push({ at, replica: home });
        },
      });
      follower.start();
      running.push(follower);
    }
    await waitUntil(() => running.every((f) => f.status().connected), 60_000, 'every follower to connect');

    const all: number[] = [];
    const cross: number[] = [];
    for (let n = 0; n < revocations; n++) {
      const via = n % 2;
      const hub = via ? b : a;
      const issued = await admin.fetch(`${hub.url}/api/v1/certs/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'client', service: 'bench' }) });
      const { id, serial } = (await issued.json()) as { id: string; serial: string };
      const res = await admin.fetch(`${hub.url}/api/v1/certs/${id}`, { method: 'DELETE' });
      const answered = performance.now();
      await res.body?.cancel();
      await waitUntil(() => (arrivals.get(serial)?.length ?? 0) >= followers, 30_000, `revocation ${n} on every follower`);
      for (const { at, replica } of arrivals.get(serial)!) {
        const ms = Math.max(0, at - answered);
        all.push(ms);
        if (replica !== via) cross.push(ms);
      }
    }
    all.sort((x, y) => x - y);
    cross.sort((x, y) => x - y);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      replicas: 2,
      followers,
      revocations,
      samples: all.length,
      p50_ms: round(percentile(all, 50)),
      p99_ms: round(percentile(all, 99)),
      max_ms: round(all[all.length - 1] ?? 0),
      cross_replica_p50_ms: round(percentile(cross, 50)),
      cross_replica_p99_ms: round(percentile(cross, 99)),
      cpus: cpus().length,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    };
  } finally {
    await Promise.all(running.map((f) => f.close()));
    await admin.destroy();
    await Promise.all(hubs.map((h) => h.close()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function formatHubReplicasBench(r: HubReplicasBenchResult): string {
  const title = 'Hub revocation fan-out through 2 replicas on PostgreSQL (DELETE answered → applied at each follower)';
  if ('skipped' in r) return `${title}\n  skipped: ${r.skipped}`;
  return [
    `${title}; ${r.followers} followers, ${r.revocations} revocations alternating replicas, ${r.samples} samples`,
    `  p50 ${r.p50_ms} ms   p99 ${r.p99_ms} ms   max ${r.max_ms} ms   (cross-replica only: p50 ${r.cross_replica_p50_ms} ms, p99 ${r.cross_replica_p99_ms} ms; ${r.cpus} CPUs, load ${r.loadavg.join(' ')})`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runHubReplicasBench({ followers: Number(process.env.BENCH_HUB_FOLLOWERS ?? 50), revocations: Number(process.env.BENCH_HUB_REVOCATIONS ?? 20) });
  process.stdout.write(`${formatHubReplicasBench(result)}\n`);
}
