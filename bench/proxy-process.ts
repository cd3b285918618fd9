/**
 * The proxy under test, in its own process so its memory can be read alone:
 * a supervisor with one server-mode service (one worker thread) in front of
 * the bench backend. Reports its port, and its memory on request.
 */
import { createCertificateAuthority } from '../src/ca/index.js';
import { parseConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { createSupervisor } from '../src/supervisor/supervisor.js';

const { stateDir, backendPort, audit } = JSON.parse(process.argv[2] ?? '{}') as { stateDir: string; backendPort: number; audit: boolean };
const config = parseConfig({
  version: 1,
  state_dir: stateDir,
  logging: { level: 'warn', audit },
  admin: { enabled: false },
  services: [{ name: 'bench', listen: '127.0.0.1:0', backend: `127.0.0.1:${backendPort}`, limits: { max_connections: 50_000 } }],
});
const policy = { client: { default_ttl: 86_400_000, min_ttl: 1_000, max_ttl: 30 * 86_400_000 }, server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 }, expiring_within: 7 * 86_400_000 };
const ca = createCertificateAuthority({ stateDir, policy });
const supervisor = createSupervisor({ config, ca, logger: createLogger({ level: 'warn' }), stateDir });
await supervisor.start();
process.send?.({ type: 'ready', port: supervisor.address('bench')!.port });
process.on('message', (m: { type: string }) => {
  if (m.type === 'memory') {
    global.gc?.();
    const mem = process.memoryUsage();
    const active = supervisor.status()[0]?.connections.active ?? 0;
    process.send?.({ type: 'memory', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, active });
  }
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage(); // the whole process, every thread
    process.send?.({ type: 'cpu', micros: user + system });
  }
  if (m.type === 'stop') void supervisor.close({ drainMs: 0 }).then(() => process.exit(0));
  if (m.type === 'release') return;
});
process.on('disconnect', () => process.exit(0));
