/**
 * `--fips` (global) or `fips_mode: true` in the config: FIPS mode before any
 * command runs, or a refusal (ERR_FIPS_UNAVAILABLE) where this Node.js has no
 * OpenSSL FIPS provider (src/fips.ts). A config that does not load does not
 * stop this hook: the command reports it as it always does.
 */
import type { Command } from 'commander';
import { enableFips } from '../fips.js';
import type { CliContext } from './context.js';

export function fipsAsked(ctx: CliContext, action: Command): boolean {
  if (action.optsWithGlobals<{ fips?: boolean }>().fips) return true;
  try {
    return ctx.loadConfig(action).fips_mode;
  } catch {
    return false;
  }
}

export function fipsPreAction(ctx: CliContext): (program: Command, action: Command) => void {
  return (_program, action) => {
    if (fipsAsked(ctx, action)) enableFips();
  };
}
