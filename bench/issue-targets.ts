/**
 * The data-plane targets (issue 11), judged from one run's figures: each target
 * against ghostunnel's figure in the same run, for tlsmcp (data_path: js) and
 * tlsmcp-native, printed after the table so a run says by itself what it met.
 * The MCP front's target is judged from its own lanes (added over HTTP direct).
 */
import type { Figure } from './report.js';
import type { TargetName } from './targets.js';

export interface TargetVerdict {
  target: string;
  /** Per tlsmcp target: the measured ratio or amount, and whether it meets the target. */
  results: Partial<Record<TargetName, { shown: string; met: boolean }>>;
}

type Check = { target: string; label: string; kind: 'at-least' | 'at-most'; bound: number; also?: { label: string; kind: 'at-most'; bound: number } };

const CHECKS: Check[] = [
  { target: 'new mTLS connections/s ≥ 1.0× (Node clients)', label: 'new mTLS connections/s, Node clients', kind: 'at-least', bound: 1 },
  { target: 'new mTLS connections/s ≥ 1.0× (openssl s_time)', label: 'new mTLS connections/s, openssl s_time', kind: 'at-least', bound: 1 },
  { target: 'keep-alive req/s ≥ 1.0× with p99 ≤ 1.0×', label: 'keep-alive requests/s', kind: 'at-least', bound: 1, also: { label: 'keep-alive p99 ms', kind: 'at-most', bound: 1 } },
  { target: 'bulk ≥ 1.0×', label: 'bulk MB/s', kind: 'at-least', bound: 1 },
  { target: 'idle RSS ≤ 2×', label: 'idle RSS MB, fresh one-service proxy', kind: 'at-most', bound: 2 },
  { target: 'RSS with the idle connections ≤ 2×', label: 'RSS MB with', kind: 'at-most', bound: 2 },
];

const TLSMCP: TargetName[] = ['tlsmcp', 'tlsmcp-native'];

function ratioOf(figures: Figure[], label: string, who: TargetName): number | undefined {
  const f = figures.find((x) => x.label.startsWith(label));
  const v = f?.values[who];
  const ref = f?.values.ghostunnel;
  return v === undefined || ref === undefined || ref === 0 ? undefined : v / ref;
}

const holds = (kind: 'at-least' | 'at-most', r: number, bound: number) => (kind === 'at-least' ? r >= bound : r <= bound);

export function judgeTargets(figures: Figure[], mcp?: { http: { added_p50: number; added_p99: number } }): TargetVerdict[] {
  const out: TargetVerdict[] = CHECKS.map((c) => {
    const results: TargetVerdict['results'] = {};
    for (const who of TLSMCP) {
      const r = ratioOf(figures, c.label, who);
      if (r === undefined) continue;
      const r2 = c.also ? ratioOf(figures, c.also.label, who) : undefined;
      const met = holds(c.kind, r, c.bound) && (!c.also || (r2 !== undefined && holds(c.also.kind, r2, c.also.bound)));
      results[who] = { shown: `${r.toFixed(2)}×${c.also && r2 !== undefined ? `, p99 ${r2.toFixed(2)}×` : ''}`, met };
    }
    return { target: c.target, results };
  });
  if (mcp) {
    const met = mcp.http.added_p50 <= 0.3 && mcp.http.added_p99 <= 1;
    // The front is one code path whatever the data path of TCP services.
    out.push({ target: 'MCP front adds ≤ 0.3 ms p50, ≤ 1 ms p99 over HTTP direct', results: { tlsmcp: { shown: `+${mcp.http.added_p50} ms p50, +${mcp.http.added_p99} ms p99`, met } } });
  }
  return out;
}

export function formatTargets(verdicts: TargetVerdict[]): string {
  const cell = (v?: { shown: string; met: boolean }) => (v ? `${v.shown} ${v.met ? 'met' : 'NOT met'}` : '–');
  const lines = ['| target (against ghostunnel, this run) | tlsmcp | tlsmcp-native |', '| --- | --- | --- |', ...verdicts.map((v) => `| ${v.target} | ${cell(v.results.tlsmcp)} | ${cell(v.results['tlsmcp-native'])} |`)];
  return lines.join('\n');
}
