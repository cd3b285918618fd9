/**
 * Gives the C heap's free memory back to the operating system: glibc's
 * `malloc_trim(0)` through the native addon (native/src/addon.c), which trims
 * every thread's arena, not only the caller's. glibc keeps what a process freed
 * for reuse, and an idle sidecar does not reuse what starting needed (module
 * loading, the workers' start-up): about 2–3 MB of a one-service `tlsmcp run`
 * (bench/idle-footprint.ts). Real memory returned, not hidden: the pages are
 * unmapped (MADV_DONTNEED) and leave the process's RSS.
 *
 * Optional by design: without the built addon (an installed package where
 * `npm run build:native` never ran), or on a C library that is not glibc, it
 * does nothing and says so. It never throws.
 */
import { defaultAddonPath, loadNativeAddon } from '../native/addon.js';

/** True when memory was released; false when there was none to release or no way to. */
export function trimMalloc(addonPath: string = defaultAddonPath()): boolean {
  try {
    return loadNativeAddon(addonPath).trimMalloc();
  } catch {
    return false;
  }
}
