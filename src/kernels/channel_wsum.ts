import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Weighted channel sum (the CAM of every weight method): out[b][p] = Σ_k w[b][k]·a[b][p][k],
 * then max(·, 0) when relu = 1. Layout NHWC flattened to [n][hw][c]; w is [n][c]; out is [n][hw].
 */
export function channel_wsum(out: F32, a: F32, w: F32, n: number, hw: number, c: number, relu: number): void {
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      const row = (b * hw + p) * c;
      let s = 0;
      for (let k = 0; k < c; k++) s += w[b * c + k] * a[row + k];
      // Math.max keeps NaN, as f32.max does in wasm.
      out[b * hw + p] = relu ? Math.max(s, 0) : s;
    }
  }
}

export const channel_wsum_kernel: KernelDescriptor<typeof channel_wsum> = {
  name: 'channel_wsum',
  js: channel_wsum,
  wasm: (x: WasmExports) => (out, a, w, n, hw, c, relu) => void x.channel_wsum(ptr(out), ptr(a), ptr(w), n, hw, c, relu ? 1 : 0),
};
