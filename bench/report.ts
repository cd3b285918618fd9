/**
 * Formats the bench's results: one row per figure, one column per proxy, and
 * each proxy's ratio to the reference (ghostunnel when found, else the best
 * foreign proxy for that figure), so the ratios measured in one run are what
 * the reader compares.
 */
import type { TargetName } from './targets.js';

export interface Figure {
  label: string;
  /** Higher is better (rates), or lower is better (CPU, latency, memory). */
  better: 'higher' | 'lower';
  values: Partial<Record<TargetName, number>>;
  /** Extra per-target text (errors, counts). */
  notes?: Partial<Record<TargetName, string>>;
}

const FOREIGN: TargetName[] = ['ghostunnel', 'haproxy', 'nginx'];

/** The value each ratio divides by: ghostunnel's when measured, else the best foreign proxy's. */
export function referenceOf(f: Figure): { name: TargetName; value: number } | undefined {
  const g = f.values.ghostunnel;
  if (g !== undefined) return { name: 'ghostunnel', value: g };
  let best: { name: TargetName; value: number } | undefined;
  for (const name of FOREIGN) {
    const v = f.values[name];
    if (v === undefined) continue;
    if (!best || (f.better === 'higher' ? v > best.value : v < best.value)) best = { name, value: v };
  }
  return best;
}

/** `value / reference`, as `0.65×`; for lower-is-better figures the same quotient (above 1 means worse). */
export function ratio(value: number | undefined, ref: number | undefined): string {
  if (value === undefined || ref === undefined || ref === 0) return '–';
  return `${(value / ref).toFixed(2)}×`;
}

export function formatTable(figures: Figure[], targets: TargetName[]): string {
  const header = ['figure', ...targets, 'reference', 'tlsmcp ÷ ref', ...(targets.includes('tlsmcp-native') ? ['native ÷ ref'] : []), 'naive ÷ ref'];
  const rows = figures.map((f) => {
    const ref = referenceOf(f);
    return [
      `${f.label} (${f.better} is better)`,
      ...targets.map((t) => {
        const v = f.values[t];
        return v === undefined ? '–' : `${v.toLocaleString('en-US')}${f.notes?.[t] ? ` ${f.notes[t]}` : ''}`;
      }),
      ref ? ref.name : '–',
      ratio(f.values.tlsmcp, ref?.value),
      ...(targets.includes('tlsmcp-native') ? [ratio(f.values['tlsmcp-native'], ref?.value)] : []),
      ratio(f.values.naive, ref?.value),
    ];
  });
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
  return lines.join('\n');
}
