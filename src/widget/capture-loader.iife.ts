// IIFE variant of capture-loader.ts: adds <script src="camkit.capture.js"> from the folder the widget
// script came from, once, and resolves with the global it defines. Nothing is fetched unless live mode
// is used (a `model` attribute or property appears).
import type { CaptureModule } from './live.js';

// Read while the widget script itself is executing; later currentScript is another script or null.
const base = typeof document !== 'undefined' && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : '';
let pending: Promise<CaptureModule> | null = null;

export function loadCapture(): Promise<CaptureModule> {
  const g = globalThis as unknown as { camkitCapture?: CaptureModule };
  if (g.camkitCapture) return Promise.resolve(g.camkitCapture);
  pending ??= new Promise<CaptureModule>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = new URL('camkit.capture.js', base || document.baseURI).href;
    s.async = true;
    s.onload = () => (g.camkitCapture ? resolve(g.camkitCapture) : reject(new Error('camkit.capture.js loaded but defined no camkitCapture global')));
    s.onerror = () => {
      pending = null;
      reject(new Error(`could not load ${s.src}`));
    };
    document.head.appendChild(s);
  });
  return pending;
}

/** camkit.worker.js, beside the widget script. */
export function workerScriptUrl(): string {
  return new URL('camkit.worker.js', base || document.baseURI).href;
}
