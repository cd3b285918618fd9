/**
 * Scan progress: one event per probe group as it finishes, so the CLI can
 * print a line (or draw a bar) on stderr and the MCP tool can send
 * `notifications/progress`. A listener must not throw; the scan ignores it if it does.
 */

export interface ScanProgress {
  /** Groups finished so far (1-based). */
  step: number;
  total: number;
  /** e.g. "protocols", "cipher suites", "chain". */
  group: string;
  /** What the group found, in a few words. */
  detail: string;
}

export type ScanProgressListener = (p: ScanProgress) => void;

/** The probe groups of a scan that reaches the TLS probes, in the order they usually finish. */
export const SCAN_PROGRESS_GROUPS = ['target', 'first contact', 'protocols', 'cipher suites', 'ALPN, HSTS, client auth', 'chain', 'grade'] as const;

export interface ProgressReporter {
  done(group: (typeof SCAN_PROGRESS_GROUPS)[number], detail: string): void;
}

export function createProgressReporter(listener: ScanProgressListener | undefined): ProgressReporter {
  let step = 0;
  return {
    done(group, detail) {
      step = Math.min(step + 1, SCAN_PROGRESS_GROUPS.length);
      try {
        listener?.({ step, total: SCAN_PROGRESS_GROUPS.length, group, detail });
      } catch {
        // A broken listener must not break the scan.
      }
    },
  };
}
