/**
 * One tlsmcp TCP listener (src/proxy/server-proxy.ts through createProxyService)
 * in a process of its own, without the supervisor or a worker thread, for
 * bench/callgrind.ts: what the listener's code costs per connection, next to the
 * naive pipe (bench/naive-pipe.ts) under the same instruction counter.
 * Usage: node --import tsx bench/service-host.ts '{"backendPort":…,"certFile":…,"keyFile":…,"caFile":…}'
 * Prints `{"port":…}` on stdout once listening; events are batched and dropped
 * every 100 ms, as a worker batches them for the supervisor.
 */
import { readFileSync } from 'node:fs';
import { createRevocationFeed } from '../src/core/revocation.js';
import { createSilentLogger } from '../src/logger.js';
import type { ConnectionEvent, WorkerSpec } from '../src/protocol/messages.js';
import { createProxyService } from '../src/proxy/proxy-service.js';

const o = JSON.parse(process.argv[2] ?? '{}') as { backendPort: number; certFile: string; keyFile: string; caFile: string; audit?: boolean };
const spec: WorkerSpec = {
  name: 'bench',
  mode: 'server',
  listen: { host: '127.0.0.1', port: 0 },
  protocol: 'tls13',
  backend: { host: '127.0.0.1', port: o.backendPort },
  mtls: { mode: 'required' },
  limits: { dial_timeout: 5_000, idle_timeout: 300_000, handshake_timeout: 10_000, max_connections: 10_000, drain_timeout: 2_000 },
  audit: o.audit ?? false,
  log_level: 'warn',
};
let batch: ConnectionEvent[] = [];
let flushTimer: NodeJS.Timeout | undefined;
const service = createProxyService({
  spec,
  material: { certPem: readFileSync(o.certFile, 'utf8'), keyPem: readFileSync(o.keyFile, 'utf8'), caPems: [readFileSync(o.caFile, 'utf8')] },
  revocations: createRevocationFeed(),
  logger: createSilentLogger(),
  onEvent(event) {
    batch.push(event);
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      batch = [];
    }, 100);
  },
});
const { port } = await service.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => process.exit(0));
