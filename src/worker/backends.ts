// The order a worker tries tfjs backends in when asked for 'auto' (fastest first on the engines camkit
// targets: wasm SIMD on the CPU, webgl through OffscreenCanvas, then plain JavaScript).
export const BACKEND_ORDER = ['wasm', 'webgl', 'cpu'] as const;

/**
 * Where tf-backend-wasm.min.js sits when the tfjs script comes from the npm layout or a CDN that
 * mirrors it (…/tfjs[@v]/dist/tf[.min].js → …/tfjs-backend-wasm[@v]/dist/tf-backend-wasm[.min].js).
 */
export function guessWasmUrl(tfjs: string | undefined): string | null {
  if (!tfjs) return null;
  const m = /^(.*\/)tfjs(@[^/]*)?\/dist\/tf(\.min)?\.js(\?.*)?$/.exec(tfjs);
  return m ? `${m[1]}tfjs-backend-wasm${m[2] ?? ''}/dist/tf-backend-wasm${m[3] ?? ''}.js` : null;
}
