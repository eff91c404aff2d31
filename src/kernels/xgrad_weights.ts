import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * XGrad-CAM channel weights: out[b][k] = Σ_p g·a / (Σ_p a + 1e-7). tmp[c] is caller scratch
 * (holds Σ_p a). Layout [n][hw][c]; out is [n][c].
 */
export function xgrad_weights(out: F32, g: F32, a: F32, tmp: F32, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let k = 0; k < c; k++) {
      let sa = 0, sga = 0;
      for (let p = 0; p < hw; p++) {
        const av = a[base + p * c + k];
        sa += av;
        sga += g[base + p * c + k] * av;
      }
      tmp[k] = sa;
      out[b * c + k] = sga / (sa + 1e-7);
    }
  }
}

export const xgrad_weights_kernel: KernelDescriptor<typeof xgrad_weights> = {
  name: 'xgrad_weights',
  js: xgrad_weights,
  wasm: (x: WasmExports) => (out, g, a, tmp, n, hw, c) => void x.xgrad_weights(ptr(out), ptr(g), ptr(a), ptr(tmp), n, hw, c),
};
