import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Gradient pooling (Grad-CAM weights): out[b][k] = mean over the hw positions of g[b][p][k].
 * Layout NHWC flattened to [n][hw][c]; out is [n][c].
 */
export function pool_mean(out: F32, g: F32, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    const gb = b * hw * c;
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += g[gb + p * c + k];
      out[b * c + k] = hw > 0 ? s / hw : 0;
    }
  }
}

export const pool_mean_kernel: KernelDescriptor<typeof pool_mean> = {
  name: 'pool_mean',
  js: pool_mean,
  wasm: (x: WasmExports) => (out, g, n, hw, c) => void x.pool_mean(ptr(out), ptr(g), n, hw, c),
};
