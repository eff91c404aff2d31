import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Nearest-neighbour resize of n planar maps ih×iw → oh×ow: src = min(floor(i·in/out), in−1), the
 * 'nearest' of PyTorch/captum, computed exactly in integers.
 */
export function resize_nearest(out: F32, x: F32, n: number, ih: number, iw: number, oh: number, ow: number): void {
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const sy = Math.min(Math.floor((i * ih) / oh), ih - 1);
      const src = b * ih * iw + sy * iw;
      const dst = (b * oh + i) * ow;
      for (let j = 0; j < ow; j++) out[dst + j] = x[src + Math.min(Math.floor((j * iw) / ow), iw - 1)];
    }
  }
}

export const resize_nearest_kernel: KernelDescriptor<typeof resize_nearest> = {
  name: 'resize_nearest',
  js: resize_nearest,
  wasm: (x: WasmExports) => (out, v, n, ih, iw, oh, ow) => void x.resize_nearest(ptr(out), ptr(v), n, ih, iw, oh, ow),
};
