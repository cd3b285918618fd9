import { describe, expect, it } from 'vitest';
import { formatTable, ratio, referenceOf, type Figure } from '../../../bench/report.js';

describe('bench report', () => {
  it('takes ghostunnel as the reference when it was measured, even if another proxy did better', () => {
    const f: Figure = { label: 'conn/s', better: 'higher', values: { tlsmcp: 900, ghostunnel: 1_000, nginx: 1_500 } };
    expect(referenceOf(f)).toEqual({ name: 'ghostunnel', value: 1_000 });
  });

  it('without ghostunnel, takes the best foreign proxy in the figure’s direction', () => {
    expect(referenceOf({ label: 'conn/s', better: 'higher', values: { tlsmcp: 1, haproxy: 3, nginx: 5 } })?.name).toBe('nginx');
    expect(referenceOf({ label: 'RSS', better: 'lower', values: { tlsmcp: 1, haproxy: 3, nginx: 5 } })?.name).toBe('haproxy');
    expect(referenceOf({ label: 'x', better: 'lower', values: { tlsmcp: 1, naive: 2 } })).toBeUndefined();
  });

  it('prints ratios as value ÷ reference, and a dash when there is none', () => {
    expect(ratio(650, 1_000)).toBe('0.65×');
    expect(ratio(650, undefined)).toBe('–');
    const table = formatTable([{ label: 'conn/s', better: 'higher', values: { tlsmcp: 650, naive: 500, haproxy: 1_000 } }], ['tlsmcp', 'naive', 'haproxy']);
    expect(table.split('\n')[2]).toBe('| conn/s (higher is better) | 650 | 500 | 1,000 | haproxy | 0.65× | 0.50× |');
  });
});
