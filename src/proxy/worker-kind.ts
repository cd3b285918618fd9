/**
 * The proxy as a kind of worker for the shared runner (src/protocol/worker-runner.ts):
 * one ProxyService, plus the backend health check when the service has one. The
 * listener's module is imported at start, so a worker loads only what its spec uses.
 */
import { EMPTY_STATS, type WorkerKind } from '../protocol/worker-runner.js';
import { probeHttp } from '../http-proxy/health-probe.js';
import { createHealthCheck, type HealthCheck } from './health-check.js';
import { loadProxyService } from './listener-kind.js';
import type { ProxyService } from './types.js';

export const proxyWorkerKind: WorkerKind = {
  name: 'tlsmcp-worker',
  create({ spec, material, revocations, logger, onEvent, onHealth }) {
    let service: ProxyService | undefined;
    let health: HealthCheck | undefined;
    const started = () => {
      if (!service) throw new Error('the proxy service has not started');
      return service;
    };
    return {
      async start() {
        const s = (service = await loadProxyService({ spec, material, revocations, logger, onEvent }));
        const address = await s.listen();
        const hc = spec.health_check;
        if (!hc) return { address };
        let backend: { ready: boolean; reason?: string } = { ready: true };
        health = createHealthCheck({
          host: spec.backend.host,
          port: spec.backend.port,
          intervalMs: hc.interval,
          timeoutMs: hc.timeout,
          ...(spec.http?.health_path ? { probe: () => probeHttp(spec.backend, spec.http?.health_path ?? '/', hc.timeout) } : {}),
          onChange: (ready, reason) => {
            s.setBackendReady(ready);
            backend = { ready, ...(reason ? { reason } : {}) };
            logger[ready ? 'info' : 'warn']({ event: 'backend_health', ready }, ready ? 'backend is up' : reason);
            onHealth(ready, reason);
          },
        });
        await health.start();
        return { address, backendReady: backend.ready, ...(backend.reason ? { reason: backend.reason } : {}) };
      },
      reload: (next, nextMaterial) => started().reload(next, nextMaterial),
      stats: () => service?.stats() ?? EMPTY_STATS,
      acmeChallenge: (domain, pems) => service?.acmeChallenge?.(domain, pems),
      async drain(deadlineMs) {
        health?.stop();
        return service ? service.drain(deadlineMs) : 0;
      },
    };
  },
};
