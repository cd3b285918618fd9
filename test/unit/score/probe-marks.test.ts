import { describe, expect, it } from 'vitest';
import { createScoreProbeMarks, normalizePeer, probeSourceFor } from '../../../src/score/probe-marks.js';

describe('score probe marks', () => {
  it('marks events from the peer while the mark holds, plus the grace after release, and no others', () => {
    let now = Date.parse('2026-11-29T12:00:00Z');
    const marks = createScoreProbeMarks({ clock: () => new Date(now), graceMs: 1_000, maxMs: 60_000 });
    const at = (ms: number) => new Date(ms).toISOString();
    const start = now;
    const id = marks.mark('127.9.8.7');
    expect(marks.isProbe({ peer: '127.9.8.7', time: at(start + 10) })).toBe(true);
    expect(marks.isProbe({ peer: '::ffff:127.9.8.7', time: at(start + 10) })).toBe(true);
    expect(marks.isProbe({ peer: '127.0.0.1', time: at(start + 10) })).toBe(false);
    expect(marks.isProbe({ peer: '127.9.8.7', time: at(start - 1) })).toBe(false);
    expect(marks.isProbe({ time: at(start + 10) })).toBe(false);
    now += 500;
    expect(marks.release(id)).toBe(true);
    expect(marks.isProbe({ peer: '127.9.8.7', time: at(now + 900) })).toBe(true);
    expect(marks.isProbe({ peer: '127.9.8.7', time: at(now + 1_100) })).toBe(false);
    expect(marks.release(999)).toBe(false);
  });

  it('refuses to mark an address that is not this host (a remote client could otherwise hide its rejections)', () => {
    const marks = createScoreProbeMarks();
    expect(() => marks.mark('203.0.113.7')).toThrow(/not an address of this host/);
    expect(marks.isProbe({ peer: '203.0.113.7', time: new Date().toISOString() })).toBe(false);
  });

  it('a mark never released ends after maxMs', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    const marks = createScoreProbeMarks({ clock: () => new Date(now), maxMs: 60_000 });
    marks.mark('::1');
    expect(marks.isProbe({ peer: '::1', time: new Date(now + 59_000).toISOString() })).toBe(true);
    expect(marks.isProbe({ peer: '::1', time: new Date(now + 61_000).toISOString() })).toBe(false);
  });

  it('probes an IPv4 loopback listener from a random 127/8 source other than 127.0.0.1; others from the kernel default', () => {
    const v4 = probeSourceFor('127.0.0.1', () => 0.5);
    if (process.platform === 'linux') {
      expect(v4.source).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(v4.source).not.toBe('127.0.0.1');
      expect(v4.peer).toBe(v4.source);
    }
    expect(probeSourceFor('::1')).toEqual({ source: undefined, peer: '::1' });
    expect(normalizePeer('::FFFF:127.1.2.3')).toBe('127.1.2.3');
  });
});
