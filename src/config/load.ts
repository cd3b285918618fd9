/**
 * Reads and validates a config file. Every problem is reported with its key path
 * and a fix, all at once, in one ERR_CONFIG_INVALID error.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { TlsmcpError } from '../errors.js';
import { applyEnvOverrides } from './env-overrides.js';
import { normalizeConfig, type ConfigProblem } from './normalize.js';
import { rawConfigSchema, type Config } from './schema.js';

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: path ? `${path}.${key}` : key,
      message: 'is not a known key: check its spelling and where it is nested, or remove it',
    }));
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest rather than "invalid input".
    const branches = issue.errors.map((errs) => errs.flatMap(issueToProblems));
    const best = branches.sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) return best.map((p) => ({ ...p, path: p.path ? (path ? `${path}.${p.path}` : p.path) : path }));
  }
  return [{ path: path || '(top level)', message: issue.message }];
}

/** Validates an already-parsed config object. `source` names it in messages. */
export function parseConfig(input: unknown, source = 'config'): Config {
  const parsed = rawConfigSchema.safeParse(input ?? {});
  if (!parsed.success) throw invalid(source, parsed.error.issues.flatMap(issueToProblems));
  const problems: ConfigProblem[] = [];
  const config = normalizeConfig(parsed.data, problems);
  if (problems.length > 0) throw invalid(source, problems);
  return config;
}

/** Parses YAML text; syntax errors carry their line and column. */
export function parseConfigText(text: string, source = 'config', env: NodeJS.ProcessEnv = {}): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((e) => ({ path: e.linePos?.[0] ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return parseConfig(applyEnvOverrides(doc.toJS(), env), source);
}

/** Reads a config file; HUB_URL and SERVICE_ID in `env` override its `hub` and `service_id`. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TlsmcpError('ERR_CONFIG_NOT_FOUND', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      fix: 'check the --config path',
      cause: err,
    });
  }
  return parseConfigText(text, file, env);
}

function invalid(source: string, problems: ConfigProblem[]): TlsmcpError {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  return new TlsmcpError('ERR_CONFIG_INVALID', `${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    details: { problems },
  });
}
