/**
 * What every bench run needs first: one CA (tlsmcp's own) issuing one server
 * and one client certificate (EC P-256) for every proxy, written as files into
 * the run's temp dir, and the backend process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createCertificateAuthority } from '../src/ca/index.js';
import { nextMessage, spawnChild } from './children.js';
import type { ClientTls } from './measure.js';
import type { Material } from './targets.js';

export async function issueMaterial(dir: string): Promise<{ material: Material; tls: ClientTls }> {
  const stateDir = join(dir, 'state');
  const ttl = { client: { default_ttl: 86_400_000, min_ttl: 1_000, max_ttl: 30 * 86_400_000 }, server: { ttl: 30 * 86_400_000, max_ttl: 90 * 86_400_000, renew_before: 86_400_000 }, expiring_within: 7 * 86_400_000 };
  const ca = createCertificateAuthority({ stateDir, policy: ttl });
  await ca.init({ keyType: 'ecdsa-p256' });
  const server = await ca.issue({ type: 'server', service: 'bench', cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], keyType: 'ecdsa-p256' });
  const client = await ca.issue({ type: 'client', service: 'bench', cn: 'bench-client', keyType: 'ecdsa-p256' });
  const material: Material = { dir, stateDir, certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.pem'), combinedPemFile: join(dir, 'server-combined.pem') };
  writeFileSync(material.certFile, server.certPem);
  writeFileSync(material.keyFile, server.keyPem!, { mode: 0o600 });
  writeFileSync(material.caFile, server.caPem);
  writeFileSync(material.combinedPemFile, `${server.certPem}${server.keyPem!}`, { mode: 0o600 });
  const files = { ca: material.caFile, cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
  writeFileSync(files.cert, client.certPem);
  writeFileSync(files.key, client.keyPem!, { mode: 0o600 });
  return { material, tls: { ca: client.caPem, cert: client.certPem, key: client.keyPem!, files } };
}

export async function startBackend(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnChild('./backend.ts');
  const { port } = await nextMessage<{ port: number }>(child, 'ready');
  return { child, port };
}

/** Compiles src/ to dist/ so tlsmcp runs as installed (no tsx loader in the process). */
export function buildDist(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '../node_modules/typescript/bin/tsc'), '-p', join(import.meta.dirname, '../tsconfig.build.json')], { stdio: 'inherit' });
}
