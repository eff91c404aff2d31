import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Grad-CAM++ channel weights, pytorch-grad-cam's exact formula (no exp(score) factor). Per image:
 * S_k = Σ_p a[p][k]; α = g² / (2g² + S_k·g³ + 1e-6), α = 0 where g == 0; out[k] = Σ_p relu(g)·α.
 * tmp[c] is caller scratch (holds S). Layout [n][hw][c]; out is [n][c]. Per-element terms are f32;
 * S and the sum over p accumulate in f64 in position order, so all flavors agree bit for bit.
 */
const f = Math.fround;
const EPS = Math.fround(1e-6);

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
        // Each step rounded to f32, as numpy evaluates the reference on float32 arrays (the
        // denominator can nearly cancel when S < 0, so f64 here would not be "more right").
        const g2 = f(gv * gv);
        const den = f(f(f(2 * g2) + f(sk * f(g2 * gv))) + EPS);
        w += f(Math.max(gv, 0) * f(g2 / den));
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
