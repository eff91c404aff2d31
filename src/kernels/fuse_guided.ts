import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** Guided Grad-CAM: out[b][p][ch] = gb[b][p][ch]·cam[b][p], with gb [n][hw][3] and cam [n][hw]. */
export function fuse_guided(out: F32, gb: F32, cam: F32, n: number, hw: number): void {
  for (let p = 0; p < n * hw; p++) {
    const m = cam[p];
    out[3 * p] = gb[3 * p] * m;
    out[3 * p + 1] = gb[3 * p + 1] * m;
    out[3 * p + 2] = gb[3 * p + 2] * m;
  }
}

export const fuse_guided_kernel: KernelDescriptor<typeof fuse_guided> = {
  name: 'fuse_guided',
  js: fuse_guided,
  wasm: (x: WasmExports) => (out, gb, cam, n, hw) => void x.fuse_guided(ptr(out), ptr(gb), ptr(cam), n, hw),
};
