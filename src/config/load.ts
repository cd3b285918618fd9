/**
 * Reads and validates a config file. Every problem is reported with its key path
 * and a fix, all at once, in one ERR_CONFIG_INVALID error: schema problems
 * first, then the cross-field checks run on what is left once the keys at
 * fault are set aside, so one pass shows the user everything.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { TlsmcpError } from '../errors.js';
import { applyEnvOverrides, type ConfigEnv } from './env.js';
import { normalizeConfig, type ConfigProblem } from './normalize.js';
import { rawConfigSchema, type Config, type ConfigNotice } from './schema.js';
import { suggestKey } from './suggest.js';

export interface ParseOptions {
  /** TLSMCP_CONFIG / HUB_URL / SERVICE_ID; only HUB_URL and SERVICE_ID are read here. */
  env?: ConfigEnv;
}

/** `services[1].limits.dial_timeout`; a key that is not a plain name is quoted: `[""]`, `["a b"]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    const name = String(key);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) return `${acc}[${JSON.stringify(name)}]`;
    return acc ? `${acc}.${name}` : name;
  }, '');
}

interface LocatedProblem extends ConfigProblem {
  /** The raw path, to set the value aside for the second pass. */
  at: PropertyKey[];
}

function issueToProblems(issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): LocatedProblem[] {
  const at = [...prefix, ...issue.path];
  const path = formatPath(at);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const hint = suggestKey(rawConfigSchema, at, key);
      return {
        at: [...at, key],
        path: formatPath([...at, key]),
        message: hint
          ? `is not a known key: did you mean "${hint}"?`
          : 'is not a known key: check its spelling and where it is nested, or remove it',
      };
    });
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest rather than "invalid input".
    // A branch refused only for its type at the union's own path (e.g. "expected
    // boolean" for `health_check: { interval: 0ms }`) is the wrong branch.
    const wrongType = (errs: z.core.$ZodIssue[]) => errs.every((e) => e.code === 'invalid_type' && e.path.length === 0);
    const ranked = issue.errors.map((errs) => ({ wrong: wrongType(errs), problems: errs.flatMap((e) => issueToProblems(e, at)) }));
    const best = ranked.sort((a, b) => Number(a.wrong) - Number(b.wrong) || a.problems.length - b.problems.length)[0]?.problems;
    if (best && best.length > 0) return best;
  }
  return [{ at, path: path || '(top level)', message: issue.message }];
}

/** A deep copy of `input` without the values at `paths`, for the second pass. */
function without(input: unknown, paths: PropertyKey[][]): unknown {
  const copy = structuredClone(input) as Record<PropertyKey, unknown>;
  for (const path of paths) {
    if (path.length === 0) return {};
    let node: unknown = copy;
    for (const key of path.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (node && typeof node === 'object') delete (node as Record<PropertyKey, unknown>)[path[path.length - 1]!];
  }
  return copy;
}

const covers = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);

/** Validates an already-parsed config object. `source` names it in messages. */
export function parseConfig(input: unknown, source = 'config', options: ParseOptions = {}): Config {
  const notices: ConfigNotice[] = [];
  const effective = applyEnvOverrides(input ?? {}, options.env ?? {}, notices);
  const parsed = rawConfigSchema.safeParse(effective);
  if (parsed.success) {
    const problems: ConfigProblem[] = [];
    const config = normalizeConfig(parsed.data, problems, notices);
    if (problems.length > 0) throw invalid(source, problems);
    return config;
  }
  const schemaProblems = parsed.error.issues.flatMap((i) => issueToProblems(i));
  // Second pass: set the faulty values aside and run the cross-field checks on
  // the rest, keeping only problems about keys the first pass did not flag.
  const problems: ConfigProblem[] = schemaProblems.map(({ path, message }) => ({ path, message }));
  if (effective && typeof effective === 'object' && !Array.isArray(effective)) {
    const retry = rawConfigSchema.safeParse(without(effective, schemaProblems.map((p) => p.at)));
    if (retry.success) {
      const more: ConfigProblem[] = [];
      normalizeConfig(retry.data, more, []);
      const flagged = schemaProblems.map((p) => p.path);
      // A key set aside may make a required one look missing: say only what is new.
      const fresh = more.filter((m) => !flagged.some((f) => covers(f, m.path) || covers(m.path, f) || covers(f.split('.')[0] ?? f, m.path)));
      problems.push(...fresh);
    }
  }
  throw invalid(source, problems);
}

/** Parses YAML text; syntax errors carry their line and column. */
export function parseConfigText(text: string, source = 'config', options: ParseOptions = {}): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((e) => ({ path: e.linePos?.[0] ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // e.g. an alias without its anchor, or an alias bomb past maxAliasCount.
    throw invalid(source, [{ path: '(yaml)', message: (err as Error).message.split('\n')[0] ?? String(err) }]);
  }
  return parseConfig(value, source, options);
}

export function loadConfigFile(file: string, options: ParseOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_CONFIG_NOT_FOUND', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      fix: 'check the --config path',
      cause: err,
    });
  }
  return parseConfigText(text, file, options);
}

function invalid(source: string, problems: ConfigProblem[]): TlsmcpError {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  return new TlsmcpError('ERR_CONFIG_INVALID', `${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    fix: 'correct the keys listed (`tlsmcp config check --config FILE` shows them all without starting anything)',
    details: { problems },
  });
}
