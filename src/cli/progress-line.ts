/**
 * Scan progress on the CLI's stderr (stdout keeps the report or the JSON): a
 * line per probe group, or one redrawn bar when stderr is a terminal. `--quiet`
 * turns it off.
 */
import type { ScanProgress, ScanProgressListener } from '../scan/progress.js';

const BAR_WIDTH = 20;

export function createCliProgress(stderr: NodeJS.WritableStream, label: string): { listener: ScanProgressListener; end(): void } {
  const tty = (stderr as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  let drawn = false;
  return {
    listener(p: ScanProgress) {
      if (tty) {
        const filled = Math.round((p.step / p.total) * BAR_WIDTH);
        stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${p.step}/${p.total} ${p.group}`);
        drawn = true;
      } else {
        stderr.write(`${label} [${p.step}/${p.total}] ${p.group}: ${p.detail}\n`);
      }
    },
    end() {
      if (drawn) stderr.write('\r\x1b[2K');
    },
  };
}
