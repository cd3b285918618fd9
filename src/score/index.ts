/** The score's public surface: the pure computeScore, the collector, the schemas, the text renderer. */
export { computeScore } from './compute-score.js';
export { collectScoreInput, type CollectScoreOptions, type ListenerScanResult } from './collect.js';
export { scoreInputSchema, scoreReportSchema, type ScoreInput, type ScoreReport } from './score-schema.js';
export { renderScoreText } from './render-text.js';
export { RULES, CATEGORY_INFO } from './rules.js';
