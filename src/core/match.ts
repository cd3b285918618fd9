/**
 * The one wildcard grammar of tlsmcp, used by `mtls.allowed_*` lists and by
 * authorization rules (identity matchers, tools, resources, prompts):
 *  - no `*`: the value must be equal (DNS names compare case-insensitively);
 *  - `*` matches any run of characters within one segment: not across `.` in
 *    a DNS name, not across `/` in a URI (URI SANs, resource URIs); names
 *    without segments (CN, O, OU, tool and prompt names) are one segment;
 *  - `**` matches any run of characters, separators included;
 *  - a pattern that is `*` alone matches every value (`allow_resources: ["*"]`).
 * So `*.prod.internal` matches `api.prod.internal` but not `a.b.prod.internal`,
 * `spiffe://example.org/ns/*` matches `…/ns/prod` but not `…/ns/prod/web`, and
 * `spiffe://example.org/ns/**` matches both.
 */

export type ValueKind = 'dns' | 'uri' | 'name';

const SEPARATOR: Record<ValueKind, string | undefined> = { dns: '.', uri: '/', name: undefined };

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** One pattern as a predicate. */
export function compilePattern(pattern: string, kind: ValueKind): (value: string) => boolean {
  const fold = kind === 'dns';
  const p = fold ? pattern.toLowerCase() : pattern;
  if (p === '*' || p === '**') return () => true;
  if (!p.includes('*')) return fold ? (v) => v.toLowerCase() === p : (v) => v === p;
  const sep = SEPARATOR[kind];
  const one = sep ? `[^${escape(sep)}]*` : '.*';
  const source = p
    .split('**')
    .map((part) => part.split('*').map(escape).join(one))
    .join('.*');
  const re = new RegExp(`^${source}$`, 's');
  return fold ? (v) => re.test(v.toLowerCase()) : (v) => re.test(v);
}

/** A list of patterns as one predicate: true when any pattern matches. Exact entries are a set look-up. */
export function compileAnyOf(patterns: readonly string[], kind: ValueKind): (value: string) => boolean {
  const exact = new Set<string>();
  const wild: ((value: string) => boolean)[] = [];
  for (const p of patterns) {
    if (p.includes('*')) wild.push(compilePattern(p, kind));
    else exact.add(kind === 'dns' ? p.toLowerCase() : p);
  }
  if (wild.length === 0) return kind === 'dns' ? (v) => exact.has(v.toLowerCase()) : (v) => exact.has(v);
  return (v) => exact.has(kind === 'dns' ? v.toLowerCase() : v) || wild.some((m) => m(v));
}

/** `required_cn_pattern` and `cn_pattern`: a regular expression that must match the whole value. */
export function compileFullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}
