/**
 * What an enrolled sidecar keeps of the Hub in its state dir (STATE/hub/):
 * the pinned Hub CA, its key (0600) with the instance and server certificates,
 * the enrollment record, and the caches that let it run with the Hub down: the
 * revocations with the feed cursor, and the policies.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-write.js';
import { readJsonFile, writeJsonFile } from '../state/json-file.js';
import { policyRecordSchema, revocationSchema, type PolicyRecord, type Revocation } from './types.js';

export function sidecarHubPaths(stateDir: string) {
  const dir = join(stateDir, 'hub');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    key: join(dir, 'key.pem'),
    instanceCert: join(dir, 'instance.pem'),
    serverCert: join(dir, 'server.pem'),
    enrollment: join(dir, 'enrollment.json'),
    feed: join(dir, 'feed.json'),
    policies: join(dir, 'policies.json'),
  };
}
export type SidecarHubPaths = ReturnType<typeof sidecarHubPaths>;

export const enrollmentSchema = z.object({
  hub_url: z.string(),
  instance_id: z.string(),
  service_id: z.string(),
  cert_id: z.string(),
  server_cert_id: z.string(),
  enrolled_at: z.string(),
});
export type Enrollment = z.infer<typeof enrollmentSchema>;

const feedCacheSchema = z.object({ version: z.literal(1), cursor: z.number().int().nonnegative(), revoked: z.array(revocationSchema) });
export type FeedCache = z.infer<typeof feedCacheSchema>;

const policiesSchema = z.object({ version: z.literal(1), policies: z.record(z.string(), policyRecordSchema) });

export function readEnrollment(paths: SidecarHubPaths): Enrollment | undefined {
  if (!existsSync(paths.enrollment)) return undefined;
  return readJsonFile(paths.enrollment, enrollmentSchema, () => undefined as never);
}

export function writeEnrollment(paths: SidecarHubPaths, enrollment: Enrollment): void {
  writeJsonFile(paths.enrollment, enrollment);
}

export function readFeedCache(paths: SidecarHubPaths): FeedCache {
  return readJsonFile(paths.feed, feedCacheSchema, () => ({ version: 1 as const, cursor: 0, revoked: [] }));
}

/** Adds revocations and moves the cursor; returns the entries that were new. */
export function mergeFeedCache(paths: SidecarHubPaths, revocations: Revocation[], cursor: number): Revocation[] {
  const cache = readFeedCache(paths);
  const known = new Set(cache.revoked.map((r) => r.serial));
  const fresh = revocations.filter((r) => !known.has(r.serial));
  writeJsonFile(paths.feed, { version: 1, cursor: Math.max(cache.cursor, cursor), revoked: [...cache.revoked, ...fresh] });
  return fresh;
}

/**
 * Writes the feed cache atomically (temp file, fsync, rename) without blocking
 * the event loop: a follower persists after it applied a revocation, and many
 * followers in one process (the fleet benchmark) must not wait on each other's fsync.
 */
export async function writeFeedCache(paths: SidecarHubPaths, cache: FeedCache): Promise<void> {
  await mkdir(dirname(paths.feed), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(paths.feed), `.${basename(paths.feed)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(cache, null, 2)}\n`);
    await handle.datasync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, paths.feed);
}

export function readPolicies(paths: SidecarHubPaths): Record<string, PolicyRecord> {
  return readJsonFile(paths.policies, policiesSchema, () => ({ version: 1 as const, policies: {} })).policies;
}

/** Stores a policy unless an equal or newer version is cached; true when it changed. */
export function storePolicy(paths: SidecarHubPaths, record: PolicyRecord): boolean {
  const policies = readPolicies(paths);
  const old = policies[record.service_id];
  if (old && old.version >= record.version) return false;
  writeJsonFile(paths.policies, { version: 1, policies: { ...policies, [record.service_id]: record } });
  return true;
}

export interface SidecarCredentials {
  caPem: string;
  keyPem: string;
  instanceCertPem: string;
}

export function readCredentials(paths: SidecarHubPaths): SidecarCredentials {
  return { caPem: readFileSync(paths.ca, 'utf8'), keyPem: readFileSync(paths.key, 'utf8'), instanceCertPem: readFileSync(paths.instanceCert, 'utf8') };
}

export function writeCredentials(paths: SidecarHubPaths, files: { caPem: string; keyPem: string; instanceCertPem: string; serverCertPem: string }): void {
  writeFileAtomic(paths.key, files.keyPem, { mode: 0o600 });
  writeFileAtomic(paths.ca, files.caPem);
  writeFileAtomic(paths.instanceCert, files.instanceCertPem);
  writeFileAtomic(paths.serverCert, files.serverCertPem);
}
