import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Element-wise gradient × activation maps, summed over channels. Layout [n][hw][c] → out [n][hw].
 * mode 0: Σ_k g·a (HiResCAM); 1: Σ_k relu(g·a) (Grad-CAM ElementWise); 2: Σ_k relu(g)·a (Layer-CAM).
 */
export function channel_reduce(out: F32, g: F32, a: F32, n: number, hw: number, c: number, mode: number): void {
  for (let i = 0; i < n * hw; i++) {
    const row = i * c;
    let s = 0;
    for (let k = 0; k < c; k++) {
      const gk = g[row + k], ak = a[row + k];
      // Products are rounded to f32 first, as the wasm kernels compute them.
      if (mode === 0) s += Math.fround(gk * ak);
      else if (mode === 1) s += Math.max(Math.fround(gk * ak), 0);
      else s += Math.fround(Math.max(gk, 0) * ak);
    }
    out[i] = s;
  }
}

export const channel_reduce_kernel: KernelDescriptor<typeof channel_reduce> = {
  name: 'channel_reduce',
  js: channel_reduce,
  wasm: (x: WasmExports) => (out, g, a, n, hw, c, mode) => void x.channel_reduce(ptr(out), ptr(g), ptr(a), n, hw, c, mode),
};
