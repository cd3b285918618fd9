/**
 * The state dir's inventory.json (every issued certificate) and revocations.json
 * (every revoked serial). Both are read through zod and written atomically; the
 * caller holds the state lock around a read-modify-write.
 */
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../state/json-file.js';
import { certRecordSchema, revocationReasonSchema, type CertRecord, type RevocationEntry } from './types.js';

const inventorySchema = z.object({ version: z.literal(1), certs: z.array(certRecordSchema) });
const revocationsSchema = z.object({
  version: z.literal(1),
  /** Bumped on every change so watchers can tell a new list from a rewrite. */
  generation: z.number().int().nonnegative(),
  revoked: z.array(z.object({ serial: z.string(), id: z.string(), at: z.string(), reason: revocationReasonSchema })),
});

export type RevocationsFile = z.infer<typeof revocationsSchema>;

export function readInventory(path: string): CertRecord[] {
  return readJsonFile(path, inventorySchema, () => ({ version: 1 as const, certs: [] })).certs;
}

export function writeInventory(path: string, certs: CertRecord[]): void {
  writeJsonFile(path, { version: 1, certs });
}

export function readRevocations(path: string): RevocationsFile {
  return readJsonFile(path, revocationsSchema, () => ({ version: 1 as const, generation: 0, revoked: [] }));
}

export function writeRevocations(path: string, file: RevocationsFile): void {
  writeJsonFile(path, file);
}

export function appendRevocation(file: RevocationsFile, entry: RevocationEntry): RevocationsFile {
  return { version: 1, generation: file.generation + 1, revoked: [...file.revoked, entry] };
}
