/**
 * "Did you mean" for unknown config keys: the known keys at the same place
 * come from the zod schema itself (no second list to drift), the closest one
 * by edit distance is offered, and a few names from other tools and documents
 * point to where tlsmcp keeps that setting.
 */
import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** Names people bring from other documents and tools, and where tlsmcp keeps them. */
const ALIASES: Record<string, readonly string[]> = {
  domains: ['dns', 'server_cert.dns'],
  domain: ['dns', 'server_cert.dns'],
  audit_enabled: ['logging.audit'],
  target: ['backend'],
  client_auth: ['mode', 'mtls.mode'],
  allow_cn: ['allowed_services', 'mtls.allowed_services'],
  allowed_cns: ['allowed_services', 'mtls.allowed_services'],
  allow_org: ['allowed_organizations', 'mtls.allowed_organizations'],
  cert: ['cert_file'],
  key: ['key_file'],
  ca: ['ca_file', 'trusted_roots'],
  min_version: ['protocol', 'listen.protocol'],
  cipher_suites: ['ciphersuites', 'listen.ciphersuites'],
  service: ['service_id', 'name'],
  hub_url: ['url', 'hub'],
  proxy: ['limits'],
};

interface ZodDefLike {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** The object schemas a value at `path` may be checked against (unions give several). */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[], depth = 0): Record<string, z.ZodType>[] {
  if (depth > 64) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return def.innerType ? objectsAt(def.innerType, path, depth + 1) : [];
    case 'pipe':
      return [...(def.in ? objectsAt(def.in, path, depth + 1) : []), ...(def.out ? objectsAt(def.out, path, depth + 1) : [])];
    case 'union':
      return (def.options ?? []).flatMap((o) => objectsAt(o, path, depth + 1));
    case 'array': {
      if (path.length === 0 || typeof path[0] !== 'number' || !def.element) return [];
      return objectsAt(def.element, path.slice(1), depth + 1);
    }
    case 'object': {
      const shape = def.shape ?? {};
      if (path.length === 0) return [shape];
      const next = shape[String(path[0])];
      return next ? objectsAt(next, path.slice(1), depth + 1) : [];
    }
    default:
      return [];
  }
}

/** The keys the schema knows at `path`. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)))];
}

/**
 * A suggestion for an unknown `key` found at `path`, e.g. `dns` for `domains`,
 * or `logging.audit` for a top-level `audit_enabled`; undefined when nothing is close.
 */
export function suggestKey(schema: z.ZodType, path: readonly PropertyKey[], key: string): string | undefined {
  const siblings = knownKeysAt(schema, path);
  for (const target of ALIASES[key.toLowerCase()] ?? []) {
    const [first] = target.split('.');
    if (!target.includes('.') && siblings.includes(target)) return target;
    if (target.includes('.') && path.length === 0 && first && siblings.includes(first)) return target;
  }
  const lower = key.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const s of siblings) {
    const d = distance(lower, s.toLowerCase());
    if (!best || d < best.d) best = { key: s, d };
  }
  const allowed = Math.max(1, Math.floor(key.length / 3));
  return best && best.d <= allowed ? best.key : undefined;
}
