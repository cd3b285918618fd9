/** The real Hub server in the test process (real HTTPS, real certificates), with an admin and an enrolled-instance client. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMtlsFetch, type MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../../src/logger.js';
import { enrollInstance } from '../../src/hub/enroll.js';
import { hubConfigSchema } from '../../src/hub/hub-config.js';
import { initHub, hubPaths } from '../../src/hub/hub-state.js';
import { startHub, type Hub } from '../../src/hub/server.js';
import { openSqliteStore } from '../../src/hub/sqlite-store.js';
import { readCredentials, sidecarHubPaths } from '../../src/hub/sidecar-files.js';
import { createEnrollmentToken } from '../../src/hub/tokens.js';

export interface InProcessHub {
  dir: string;
  hubState: string;
  hub: Hub;
  admin: MtlsFetch;
  /** Makes a token (straight into the store, as `hub token create` does). */
  token(serviceId: string, ttlMs?: number): Promise<string>;
  /** Enrolls a new instance state dir and returns a client with its instance certificate. */
  enroll(serviceId: string): Promise<{ stateDir: string; http: MtlsFetch }>;
  close(): Promise<void>;
}

export async function startInProcessHub(config: Record<string, unknown> = {}, options: { heartbeatMs?: number } = {}): Promise<InProcessHub> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-'));
  const hubState = join(dir, 'hub');
  const parsed = hubConfigSchema.parse(config);
  await initHub(hubState, parsed);
  const hub = await startHub({ stateDir: hubState, listen: { host: '127.0.0.1', port: 0 }, config: parsed, logger: createSilentLogger(), ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  const paths = hubPaths(hubState);
  const admin = createMtlsFetch({ certPem: readFileSync(paths.adminCert, 'utf8'), keyPem: readFileSync(paths.adminKey, 'utf8'), caPem: readFileSync(paths.adminCa, 'utf8') });
  const clients: MtlsFetch[] = [admin];
  let n = 0;
  const token = async (serviceId: string, ttlMs = 3_600_000) => {
    const store = openSqliteStore(paths.db);
    try {
      return (await createEnrollmentToken(store, { serviceId, ttlMs, now: new Date(), caPem: hub.service.ca.caCertPem() })).token;
    } finally {
      await store.close();
    }
  };
  return {
    dir,
    hubState,
    hub,
    admin,
    token,
    async enroll(serviceId) {
      const stateDir = join(dir, `instance-${n++}`);
      await enrollInstance({ hubUrl: hub.url, token: await token(serviceId), serviceId, stateDir });
      const creds = readCredentials(sidecarHubPaths(stateDir));
      const http = createMtlsFetch({ caPem: creds.caPem, certPem: creds.instanceCertPem, keyPem: creds.keyPem });
      clients.push(http);
      return { stateDir, http };
    },
    async close() {
      await Promise.all(clients.map((c) => c.destroy()));
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
