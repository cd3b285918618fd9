/** The score report as lines of text for people; the CLI prints them. */
import type { ScoreReport } from './score-schema.js';

export function renderScoreText(r: ScoreReport): string[] {
  if (r.score === null) return [`Posture score: none: ${r.reason ?? 'nothing to score'} (at ${r.computed_at})`];
  const out = [`Posture score: ${r.score}/100 (at ${r.computed_at})`];
  out.push(`Live figures: ${r.live_source ?? 'none (no running tlsmcp found)'}`, '');
  for (const c of r.categories) out.push(`  ${c.title.padEnd(22)} ${String(c.score).padStart(3)}/${c.max}${c.lost > 0 ? `  (-${c.lost})` : ''}`);
  if (r.recommendations.length > 0) {
    out.push('', 'To win points back (most valuable first):');
    for (const rec of r.recommendations) {
      out.push(`  +${rec.points}  ${rec.action}`);
      for (const s of rec.subjects) {
        const item = r.items.find((i) => i.rule === rec.rule && i.subject === s);
        out.push(`        - ${s}${item ? `: ${item.evidence}` : ''}`);
      }
    }
  } else {
    out.push('', 'Nothing to fix in what was measured.');
  }
  if (r.not_measured.length > 0) {
    out.push('', 'Not measured:');
    for (const n of r.not_measured) out.push(`  - ${n}`);
  }
  return out;
}
