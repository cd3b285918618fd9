/**
 * Fleet-wide push latency: one Hub and 50 followers (the same follower code
 * `tlsmcp run` uses, in-process, each with its own state dir and instance
 * certificate) on loopback. Each revocation is timed from the moment the
 * DELETE is answered to the moment each follower has applied it; reports
 * p50/p99/max over every (revocation, follower) pair.
 *
 * `npx tsx bench/hub-fleet.ts` runs it alone (BENCH_HUB_FOLLOWERS, BENCH_HUB_REVOCATIONS);
 * `runHubFleetBench()` is for bench/run.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../src/logger.js';
import { enrollInstance } from '../src/hub/enroll.js';
import { createHubFollower, type HubFollower } from '../src/hub/follower.js';
import { hubConfigSchema } from '../src/hub/hub-config.js';
import { hubPaths, initHub } from '../src/hub/hub-state.js';
import { startHub } from '../src/hub/server.js';
import { createEnrollmentToken } from '../src/hub/tokens.js';
import { percentile } from './children.js';

export interface HubFleetBenchResult {
  followers: number;
  revocations: number;
  samples: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  enroll_ms_each: number;
  cpus: number;
  loadavg: number[];
}

export async function runHubFleetBench({ followers = 50, revocations = 20 } = {}): Promise<HubFleetBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-bench-'));
  const logger = createSilentLogger();
  const config = hubConfigSchema.parse({});
  const hubState = join(dir, 'hub');
  await initHub(hubState, config);
  const hub = await startHub({ stateDir: hubState, listen: { host: '127.0.0.1', port: 0 }, config, logger });
  const paths = hubPaths(hubState);
  const admin = createMtlsFetch({ certPem: readFileSync(paths.adminCert, 'utf8'), keyPem: readFileSync(paths.adminKey, 'utf8'), caPem: readFileSync(paths.adminCa, 'utf8') });
  const running: HubFollower[] = [];
  try {
    const arrivals = new Map<string, number[]>();
    const enrollStart = performance.now();
    for (let i = 0; i < followers; i++) {
      const stateDir = join(dir, `f${i}`);
      const { token } = await createEnrollmentToken(hub.service.store, { serviceId: 'bench', ttlMs: 600_000, now: new Date(), caPem: hub.service.ca.caCertPem() });
      await enrollInstance({ hubUrl: hub.url, token, serviceId: 'bench', stateDir });
      const follower = createHubFollower({
        urls: [hub.url],
        stateDir,
        serviceIds: ['bench'],
        syncIntervalMs: 1_000,
        reportIntervalMs: 60_000,
        logger,
        onRevocations: (revs) => {
          const now = performance.now();
          for (const r of revs) (arrivals.get(r.serial) ?? arrivals.set(r.serial, []).get(r.serial)!).push(now);
        },
      });
      follower.start();
      running.push(follower);
    }
    const enrollMs = (performance.now() - enrollStart) / followers;
    await waitUntil(() => running.every((f) => f.status().connected), 60_000, 'every follower to connect');

    const latencies: number[] = [];
    for (let n = 0; n < revocations; n++) {
      const issued = await admin.fetch(`${hub.url}/api/v1/certs/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'client', service: 'bench' }) });
      const { id, serial } = (await issued.json()) as { id: string; serial: string };
      const res = await admin.fetch(`${hub.url}/api/v1/certs/${id}`, { method: 'DELETE' });
      const answered = performance.now();
      await res.body?.cancel();
      await waitUntil(() => (arrivals.get(serial)?.length ?? 0) >= followers, 30_000, `revocation ${n} on every follower`);
      latencies.push(...arrivals.get(serial)!.map((t) => Math.max(0, t - answered)));
    }
    latencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      followers,
      revocations,
      samples: latencies.length,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? 0),
      enroll_ms_each: Math.round(enrollMs),
      cpus: cpus().length,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    };
  } finally {
    await Promise.all(running.map((f) => f.close()));
    await admin.destroy();
    await hub.close();
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

export function formatHubFleetBench(r: HubFleetBenchResult): string {
  return [
    `Hub push latency (DELETE answered → revocation applied at each follower; ${r.followers} followers, ${r.revocations} revocations, ${r.samples} samples)`,
    `  p50 ${r.p50_ms} ms   p99 ${r.p99_ms} ms   max ${r.max_ms} ms   (enrollment ${r.enroll_ms_each} ms each; ${r.cpus} CPUs, load ${r.loadavg.join(' ')})`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runHubFleetBench({ followers: Number(process.env.BENCH_HUB_FOLLOWERS ?? 50), revocations: Number(process.env.BENCH_HUB_REVOCATIONS ?? 20) });
  process.stdout.write(`${formatHubFleetBench(result)}\n`);
}
