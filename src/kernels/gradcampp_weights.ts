import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Grad-CAM++ channel weights, pytorch-grad-cam's exact formula (no exp(score) factor). Per image:
 * S_k = Σ_p a[p][k]; α = g² / (2g² + S_k·g³ + 1e-6), α = 0 where g == 0; out[k] = Σ_p relu(g)·α.
 * tmp[c] is caller scratch (holds S). Layout [n][hw][c]; out is [n][c].
 */
export function gradcampp_weights(out: F32, g: F32, a: F32, tmp: F32, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += a[base + p * c + k];
      tmp[k] = s;
    }
    for (let k = 0; k < c; k++) {
      const sk = tmp[k];
      let w = 0;
      for (let p = 0; p < hw; p++) {
        const gv = g[base + p * c + k];
        if (gv === 0) continue;
        const g2 = gv * gv;
        const alpha = g2 / (2 * g2 + sk * g2 * gv + 1e-6);
        w += Math.max(gv, 0) * alpha;
      }
      out[b * c + k] = w;
    }
  }
}

export const gradcampp_weights_kernel: KernelDescriptor<typeof gradcampp_weights> = {
  name: 'gradcampp_weights',
  js: gradcampp_weights,
  wasm: (x: WasmExports) => (out, g, a, tmp, n, hw, c) => void x.gradcampp_weights(ptr(out), ptr(g), ptr(a), ptr(tmp), n, hw, c),
};
