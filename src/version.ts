/** The package version, read once from package.json so it never drifts. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findVersion(): string {
  // Source runs from src/, the build from dist/src/: try both depths.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'tlsmcp' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const VERSION = findVersion();
