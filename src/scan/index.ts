/** The scanner's public surface: scanTarget, target parsing, progress events, the report schema, the text renderer. */
export { scanTarget, type ScanOptions, type ScanDeps } from './scan.js';
export { scanReportSchema, findingSchema, type ScanReport, type Finding } from './report-schema.js';
export { renderScanText } from './render-text.js';
export { checkScanTarget, type ScanTargetPolicy } from './target-policy.js';
export { parseScanTarget, type ScanTargetSpec } from './target.js';
export type { ScanProgress, ScanProgressListener } from './progress.js';
