import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * FEM (k-sigma rule) channel weights for n images of NHWC activations a[n][hw][c]:
 * th[b][k] = f32(mean + kSigma·std) with the population std over the hw positions (mean and std in f64),
 * w[b][k] = (number of positions with a > th, strict, compared in f32) / hw. The map is then
 * channel_wsum(a, w). Mask counts are exactly w·hw. An all-zero channel gives th = 0, w = 0; a NaN or
 * ±Inf in a channel gives th = NaN, w = 0 (as numpy's comparisons with NaN). The reference uses kSigma = 2.
 */
export function fem_weights(w: F32, th: F32, a: F32, n: number, hw: number, c: number, kSigma: number): void {
  if (hw <= 0) {
    w.fill(0, 0, n * c);
    th.fill(0, 0, n * c);
    return;
  }
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += a[base + p * c + k];
      const m = s / hw;
      let q = 0;
      for (let p = 0; p < hw; p++) {
        const d = a[base + p * c + k] - m;
        q += d * d;
      }
      const t = Math.fround(m + kSigma * Math.sqrt(q / hw));
      let count = 0;
      for (let p = 0; p < hw; p++) if (a[base + p * c + k] > t) count++;
      th[b * c + k] = t;
      w[b * c + k] = Math.fround(count) / Math.fround(hw);
    }
  }
}

export const fem_weights_kernel: KernelDescriptor<typeof fem_weights> = {
  name: 'fem_weights',
  js: fem_weights,
  wasm: (x: WasmExports) => (w, th, a, n, hw, c, kSigma) => void x.fem_weights(ptr(w), ptr(th), ptr(a), n, hw, c, kSigma),
};
