import { bilinearTap, horizontalPass } from './resize_bilinear.js';
import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

const f32 = Math.fround;

/**
 * Bilinear resize (as resize_bilinear: n planar maps ih×iw → oh×ow) and min-max scaling of each
 * resized map (as minmax_normalize with `eps`), fused: the reference chain's last two steps in one
 * pass over the output. `tmp` holds 2·(ih + 1)·ow + 2·oh floats (rows, row differences, column and row taps).
 *
 * Each map: T = the rows resized horizontally, D[y] = T[y+1] − T[y] (0 for the last row), so the
 * resized value is v = T[y0] + D[y0]·f, the same bits as resize_bilinear. lo and hi are the extremes
 * of v over the whole output and s = f32(eps + (hi − lo)) as in minmax_normalize; the output is
 * (v − lo)·f32(1/s): within 1 ulp of minmax_normalize's division, minimum exactly 0, maximum ≤ 1.
 * A zero s gives zeros; a NaN makes the map NaN.
 * This twin takes lo and hi over every output value; the wasm kernel reads only each source-row
 * segment's first and last output row, where the monotone lerp puts the extremes.
 */
export function resize_bilinear_minmax(
  out: F32, x: F32, tmp: F32, n: number, ih: number, iw: number, oh: number, ow: number, alignCorners: number, eps: number,
): void {
  const D = ih * ow; // offset of the difference rows in tmp
  for (let b = 0; b < n; b++) {
    const o = b * oh * ow;
    horizontalPass(tmp, x, b * ih * iw, ih, iw, ow, alignCorners);
    for (let y = 0; y < ih; y++) {
      const u = y + 1 < ih ? y + 1 : y;
      for (let j = 0; j < ow; j++) tmp[D + y * ow + j] = f32(tmp[u * ow + j] - tmp[y * ow + j]);
    }
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < oh; i++) {
      const [y0, , f] = bilinearTap(i, ih, oh, alignCorners);
      for (let j = 0; j < ow; j++) {
        const v = f32(tmp[y0 * ow + j] + f32(tmp[D + y0 * ow + j] * f));
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    // As minmax_normalize: +0 for ±0 ties, the denominator formed in f64 and rounded to f32.
    lo += 0;
    hi += 0;
    const s = f32(eps + f32(hi - lo));
    if (s === 0) {
      out.fill(0, o, o + oh * ow);
      continue;
    }
    const r = f32(1 / s);
    for (let i = 0; i < oh; i++) {
      const [y0, , f] = bilinearTap(i, ih, oh, alignCorners);
      for (let j = 0; j < ow; j++) {
        const v = f32(tmp[y0 * ow + j] + f32(tmp[D + y0 * ow + j] * f));
        out[o + i * ow + j] = f32(f32(v - lo) * r);
      }
    }
  }
}

export const resize_bilinear_minmax_kernel: KernelDescriptor<typeof resize_bilinear_minmax> = {
  name: 'resize_bilinear_minmax',
  js: resize_bilinear_minmax,
  wasm: (x: WasmExports) => (out, v, tmp, n, ih, iw, oh, ow, alignCorners, eps) =>
    void x.resize_bilinear_minmax(ptr(out), ptr(v), ptr(tmp), n, ih, iw, oh, ow, alignCorners ? 1 : 0, eps),
};
