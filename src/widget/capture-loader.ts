// How live mode reaches the capture entry. In the npm (ESM) build this dynamic import becomes
// `import('./capture.js')`, so capture and the widget share one runtime. The IIFE build swaps this
// module for capture-loader.iife.ts (see rollup.config.mjs), which loads camkit.capture.js beside it.
import type { CaptureModule } from './live.js';

export function loadCapture(): Promise<CaptureModule> {
  return import('../capture/index.js') as unknown as Promise<CaptureModule>;
}

/** dist/camkit.worker.js, beside this module in the npm build. */
export function workerScriptUrl(): string {
  return new URL('./camkit.worker.js', import.meta.url).href;
}
