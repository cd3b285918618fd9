/**
 * The invariant the process-fault cases check after a crash or a failed write:
 * every certificate found in any file (temp files included) under the state
 * and output dirs is in the inventory, and so can be revoked. A certificate in
 * a file but not in the inventory is an orphan: valid, unlisted, unrevocable.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readInventory } from '../../../src/ca/inventory.js';
import { normalizeSerial } from '../../../src/ca/serial.js';
import type { CertRecord } from '../../../src/ca/types.js';
import { statePaths } from '../../../src/state/state-dir.js';

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export interface OrphanReport {
  records: CertRecord[];
  /** Leaf certificates found in files, with the file. */
  found: Array<{ path: string; serial: string }>;
  /** Files holding a leaf certificate the inventory does not list. */
  orphans: string[];
  /** PKCS#12 files (they hold a certificate and its key) with no record naming them. */
  orphanBundles: string[];
  /** Files holding a private key of a certificate that is not recorded (or not present at all). */
  keyFiles: string[];
}

export function findOrphans(stateDir: string, ...outDirs: string[]): OrphanReport {
  const records = readInventory(statePaths(stateDir).inventory);
  const serials = new Set(records.map((r) => r.serial));
  const found: OrphanReport['found'] = [];
  const orphans: string[] = [];
  const orphanBundles: string[] = [];
  const keyFiles: string[] = [];
  for (const path of [...walk(stateDir), ...outDirs.flatMap(walk)]) {
    if (path.startsWith(statePaths(stateDir).caDir)) continue;
    if (path.includes('bundle.p12')) {
      const base = path.replace(/\/\.?(bundle\.p12).*$/, '/$1');
      if (!records.some((r) => r.files.p12 === base)) orphanBundles.push(path);
      continue;
    }
    const text = readFileSync(path, 'latin1');
    if (text.includes('PRIVATE KEY')) keyFiles.push(path);
    for (const pem of text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
      const cert = new X509Certificate(pem);
      if (cert.ca) continue;
      const serial = normalizeSerial(cert.serialNumber);
      found.push({ path, serial });
      if (!serials.has(serial)) orphans.push(path);
    }
  }
  return { records, found, orphans, orphanBundles, keyFiles };
}
