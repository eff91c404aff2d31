import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** Index of the first NaN or ±Inf among x[0..len), or −1 (the input check before a CAM is computed). */
export function first_nonfinite(x: F32, len: number): number {
  for (let i = 0; i < len; i++) {
    // x − x is NaN exactly for NaN and ±Inf.
    if (x[i] - x[i] !== 0) return i;
  }
  return -1;
}

export const first_nonfinite_kernel: KernelDescriptor<typeof first_nonfinite> = {
  name: 'first_nonfinite',
  js: first_nonfinite,
  wasm: (x: WasmExports) => (v, len) => x.first_nonfinite(ptr(v), len) as number,
};
