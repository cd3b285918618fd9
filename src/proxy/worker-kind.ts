/**
 * The proxy as a kind of worker for the shared runner (src/protocol/worker-runner.ts):
 * one ProxyService, plus the backend health check when the service has one.
 */
import type { WorkerKind } from '../protocol/worker-runner.js';
import { probeHttp } from '../http-proxy/health-probe.js';
import { createHealthCheck, type HealthCheck } from './health-check.js';
import { createProxyService } from './proxy-service.js';

export const proxyWorkerKind: WorkerKind = {
  name: 'tlsmcp-worker',
  create({ spec, material, revocations, logger, onEvent, onHealth }) {
    const service = createProxyService({ spec, material, revocations, logger, onEvent });
    let health: HealthCheck | undefined;
    return {
      async start() {
        const address = await service.listen();
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
            service.setBackendReady(ready);
            backend = { ready, ...(reason ? { reason } : {}) };
            logger[ready ? 'info' : 'warn']({ event: 'backend_health', ready }, ready ? 'backend is up' : reason);
            onHealth(ready, reason);
          },
        });
        await health.start();
        return { address, backendReady: backend.ready, ...(backend.reason ? { reason: backend.reason } : {}) };
      },
      reload: (next, nextMaterial) => service.reload(next, nextMaterial),
      stats: () => service.stats(),
      acmeChallenge: (domain, pems) => service.acmeChallenge?.(domain, pems),
      drain(deadlineMs) {
        health?.stop();
        return service.drain(deadlineMs);
      },
    };
  },
};
