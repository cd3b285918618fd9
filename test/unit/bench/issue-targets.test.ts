/** The bench judges each issue-11 target from one run's figures, against ghostunnel's. */
import { describe, expect, it } from 'vitest';
import { judgeTargets } from '../../../bench/issue-targets.js';
import type { Figure } from '../../../bench/report.js';

const fig = (label: string, better: Figure['better'], tlsmcp: number, native: number, ghostunnel: number): Figure => ({ label, better, values: { tlsmcp, 'tlsmcp-native': native, ghostunnel } });

describe('judgeTargets', () => {
  const figures: Figure[] = [
    fig('new mTLS connections/s, Node clients', 'higher', 700, 1000, 950),
    fig('new mTLS connections/s, openssl s_time', 'higher', 600, 940, 950),
    fig('keep-alive requests/s', 'higher', 40_000, 44_000, 40_000),
    fig('keep-alive p99 ms', 'lower', 4.5, 3.1, 3.5),
    fig('bulk MB/s', 'higher', 700, 900, 800),
    fig('idle RSS MB, fresh one-service proxy', 'lower', 100, 90, 46),
    fig('RSS MB with 9,500 idle mTLS connections', 'lower', 800, 500, 680),
  ];
  const verdicts = Object.fromEntries(judgeTargets(figures, { http: { added_p50: 0.29, added_p99: 1.2 } }).map((v) => [v.target, v.results]));

  it('meets a rate target at 1.0× or more, and misses it below', () => {
    expect(verdicts['new mTLS connections/s ≥ 1.0× (Node clients)']).toMatchObject({ tlsmcp: { met: false }, 'tlsmcp-native': { met: true, shown: '1.05×' } });
    expect(verdicts['new mTLS connections/s ≥ 1.0× (openssl s_time)']!['tlsmcp-native']).toMatchObject({ met: false, shown: '0.99×' });
  });

  it('needs both the keep-alive rate and its p99', () => {
    // JS: the rate is 1.00× but p99 is 1.29× ghostunnel's; native: both hold.
    expect(verdicts['keep-alive req/s ≥ 1.0× with p99 ≤ 1.0×']).toMatchObject({ tlsmcp: { met: false }, 'tlsmcp-native': { met: true } });
  });

  it('judges memory as at most twice ghostunnel', () => {
    expect(verdicts['idle RSS ≤ 2×']).toMatchObject({ tlsmcp: { met: false }, 'tlsmcp-native': { met: true } });
    expect(verdicts['RSS with the idle connections ≤ 2×']).toMatchObject({ tlsmcp: { met: true }, 'tlsmcp-native': { met: true } });
  });

  it('judges the MCP front on both its p50 and p99', () => {
    expect(verdicts['MCP front adds ≤ 0.3 ms p50, ≤ 1 ms p99 over HTTP direct']).toMatchObject({ tlsmcp: { met: false } });
  });
});
