/**
 * The score of a sidecar that follows a Hub (`hub.url` set): the fleet score
 * from the Hub's GET /api/v1/score, fetched with the instance certificate and
 * the pinned Hub CA from the state dir. When no Hub URL answers, the local
 * score is returned instead and marked as such (`hub.scope: 'local'` with the
 * reason), so neither `tlsmcp score` nor `tlsmcp_score` passes one off as the other.
 */
import { z } from 'zod';
import type { HubSettings } from '../config/schema.js';
import { createMtlsFetch } from '../connect/mtls-fetch.js';
import { scoreReportSchema, type ScoreReport } from '../score/index.js';
import { readCredentials, sidecarHubPaths } from './sidecar-files.js';

export const scoreScopeSchema = z.object({
  /** fleet: the Hub's score over every instance; local: this instance only, because the Hub could not be reached. */
  scope: z.enum(['fleet', 'local']),
  /** The Hub URL that answered, or the first one tried. */
  url: z.string(),
  /** Why the fleet score is not shown; null when it is. */
  unreachable: z.string().nullable(),
});
export type ScoreScope = z.infer<typeof scoreScopeSchema>;

/** A score report, with `hub` present when the instance follows a Hub. */
export const scopedScoreReportSchema = scoreReportSchema.extend({ hub: scoreScopeSchema.optional() });
export type ScopedScoreReport = z.infer<typeof scopedScoreReportSchema>;

export interface FleetScoreOptions {
  settings: HubSettings;
  stateDir: string;
  /** The local score, computed only when the Hub cannot be reached. */
  local: () => Promise<ScoreReport>;
  timeoutMs?: number;
}

/** GET /api/v1/score from the first Hub URL that answers; throws with every URL's reason when none does. */
export async function fetchFleetScore(settings: HubSettings, stateDir: string, timeoutMs = 5_000): Promise<{ url: string; report: ScoreReport }> {
  let creds;
  try {
    creds = readCredentials(sidecarHubPaths(stateDir));
  } catch (err) {
    throw new Error(`this state dir is not enrolled with the Hub (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const http = createMtlsFetch({ caPem: creds.caPem, certPem: creds.instanceCertPem, keyPem: creds.keyPem });
  const reasons: string[] = [];
  try {
    for (const url of settings.urls) {
      try {
        const res = await http.fetch(new URL('/api/v1/score', url).toString(), { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json()) as unknown;
        if (!res.ok) {
          const message = (body as { error?: { message?: string } }).error?.message;
          throw new Error(`HTTP ${res.status}${message ? `: ${message}` : ''}`);
        }
        return { url, report: scoreReportSchema.parse(body) };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        reasons.push(`${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
      }
    }
  } finally {
    await http.destroy().catch(() => undefined);
  }
  throw new Error(reasons.join('; '));
}

/** The fleet score, or the local one marked `scope: 'local'` with the reason when the Hub is unreachable. */
export async function scoreWithHub(options: FleetScoreOptions): Promise<ScopedScoreReport> {
  try {
    const { url, report } = await fetchFleetScore(options.settings, options.stateDir, options.timeoutMs);
    return { ...report, hub: { scope: 'fleet', url, unreachable: null } };
  } catch (err) {
    const report = await options.local();
    return { ...report, hub: { scope: 'local', url: options.settings.urls[0]!, unreachable: (err as Error).message } };
  }
}

/** The line printed above the score text, saying whose score it is. */
export function scopeLine(scope: ScoreScope): string {
  return scope.scope === 'fleet'
    ? `Fleet score from the Hub ${scope.url}`
    : `The Hub is unreachable (${scope.unreachable ?? 'unknown'}): LOCAL score of this instance only, not the fleet's`;
}
