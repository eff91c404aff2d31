import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * In place, per map of `len` values (n maps): x -= min(x); x /= (eps + max(x)), as pytorch-grad-cam's
 * scale_cam_image. The denominator is formed in f64 then rounded to f32 (numpy's scalar promotion),
 * and it is a true division, not a reciprocal multiply, to match the reference bit for bit more often.
 * A constant map becomes all 0 (also with eps = 0). A NaN anywhere in a map makes that map all NaN.
 */
export function minmax_normalize(x: F32, n: number, len: number, eps: number): void {
  for (let b = 0; b < n; b++) {
    const o = b * len;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < len; i++) {
      lo = Math.min(lo, x[o + i]);
      hi = Math.max(hi, x[o + i]);
    }
    // ±0 ties depend on the visiting order in the wasm kernels: + 0 makes both +0 everywhere.
    lo += 0;
    hi += 0;
    // f32 subtraction rounds monotonically, so max(x − lo) is exactly fround(hi − lo).
    const d = Math.fround(eps + Math.fround(hi - lo));
    if (d === 0) x.fill(0, o, o + len);
    else for (let i = 0; i < len; i++) x[o + i] = Math.fround(x[o + i] - lo) / d;
  }
}

export const minmax_normalize_kernel: KernelDescriptor<typeof minmax_normalize> = {
  name: 'minmax_normalize',
  js: minmax_normalize,
  wasm: (x: WasmExports) => (v, n, len, eps) => void x.minmax_normalize(ptr(v), n, len, eps),
};
