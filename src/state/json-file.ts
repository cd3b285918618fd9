/**
 * Reads the state dir's JSON files through a zod schema. A file that is not valid
 * JSON or does not match is reported as corrupt and left untouched: tlsmcp never
 * overwrites state it could not read.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { TlsmcpError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export function readJsonFile<S extends z.ZodType>(path: string, schema: S, empty: () => z.output<S>): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `is not valid JSON (${(err as Error).message})`, err);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw corrupt(path, `does not match the expected shape at ${first?.path.join('.') || '(top)'}: ${first?.message}`, parsed.error);
  }
  return parsed.data;
}

export function writeJsonFile(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

function corrupt(path: string, what: string, cause: unknown): TlsmcpError {
  return new TlsmcpError('ERR_STATE_CORRUPT', `state file ${path} ${what}`, {
    fix: `restore ${path} from a backup or move it aside; tlsmcp left it untouched`,
    cause,
  });
}
