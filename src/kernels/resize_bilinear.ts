import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Source coordinate of output index i: half-pixel centres (cv2 INTER_LINEAR, tf.image.resizeBilinear
 * with halfPixelCenters) or align-corners. Returns the lower tap; `frac` gets the weight of the upper tap.
 * Computed in f64 in every flavor so the taps agree exactly.
 */
export function bilinearTap(i: number, inn: number, out: number, alignCorners: number): [i0: number, i1: number, frac: number] {
  let s: number;
  if (alignCorners) s = out > 1 ? (i * (inn - 1)) / (out - 1) : 0;
  else s = Math.min(Math.max(((i + 0.5) * inn) / out - 0.5, 0), inn - 1);
  const i0 = Math.floor(s);
  return [i0, Math.min(i0 + 1, inn - 1), Math.fround(s - i0)];
}

/**
 * Bilinear resize of n planar maps ih×iw → oh×ow. alignCorners = 0: src = (i+0.5)·in/out − 0.5 clamped
 * to [0, in−1]; 1: src = i·(in−1)/(out−1). Two passes: each input row is resized horizontally into
 * tmp[ih·ow], then each output row is a lerp of two tmp rows. Lerp is a + (b−a)·f, so constant maps
 * stay exactly constant. No antialiasing when downscaling (as cv2 and tfjs).
 */
export function resize_bilinear(
  out: F32, x: F32, tmp: F32, n: number, ih: number, iw: number, oh: number, ow: number, alignCorners: number,
): void {
  for (let b = 0; b < n; b++) {
    horizontalPass(tmp, x, b * ih * iw, ih, iw, ow, alignCorners);
    for (let i = 0; i < oh; i++) {
      const [y0, y1, f] = bilinearTap(i, ih, oh, alignCorners);
      const o = (b * oh + i) * ow;
      for (let j = 0; j < ow; j++) {
        const t = tmp[y0 * ow + j], u = tmp[y1 * ow + j];
        out[o + j] = t + Math.fround(Math.fround(u - t) * f);
      }
    }
  }
}

/** The first pass: every input row of the map at x[xb…] resized horizontally into tmp[ih·ow]. */
export function horizontalPass(tmp: F32, x: F32, xb: number, ih: number, iw: number, ow: number, alignCorners: number): void {
  for (let j = 0; j < ow; j++) {
    const [j0, j1, f] = bilinearTap(j, iw, ow, alignCorners);
    for (let y = 0; y < ih; y++) {
      const l = x[xb + y * iw + j0], r = x[xb + y * iw + j1];
      tmp[y * ow + j] = l + Math.fround(Math.fround(r - l) * f);
    }
  }
}

export const resize_bilinear_kernel: KernelDescriptor<typeof resize_bilinear> = {
  name: 'resize_bilinear',
  js: resize_bilinear,
  wasm: (x: WasmExports) => (out, v, tmp, n, ih, iw, oh, ow, alignCorners) =>
    void x.resize_bilinear(ptr(out), ptr(v), ptr(tmp), n, ih, iw, oh, ow, alignCorners ? 1 : 0),
};
