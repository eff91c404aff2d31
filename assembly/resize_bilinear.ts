// Bilinear resize of planar maps ih×iw → oh×ow (performance.md §2.2): every input row is first
// resized horizontally into tmp[ih][ow] (a gather, scalar), then each output row is a lerp of two
// tmp rows (contiguous, SIMD). Both passes live in inline/bilinear.ts, shared with resize_bilinear_minmax.
// alignCorners = 0: src = (i + 0.5)·in/out − 0.5 clamped to [0, in − 1] (cv2 INTER_LINEAR,
// tf.image.resizeBilinear half-pixel centres); 1: src = i·(in − 1)/(out − 1).
import { horizontalPass, lerpRow, source } from "./inline/bilinear";

export function resize_bilinear(
  out: usize, x: usize, tmp: usize, n: i32, ih: i32, iw: i32, oh: i32, ow: i32, alignCorners: i32,
): void {
  const trow = <usize>ow << 2;
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>b * <usize>ih * <usize>iw << 2);
    const ob = out + (<usize>b * <usize>oh * <usize>ow << 2);
    horizontalPass(tmp, xb, ih, iw, ow, alignCorners);
    for (let i = 0; i < oh; i++) {
      const s = source(i, ih, oh, alignCorners);
      const y0 = <i32>Math.floor(s);
      const y1 = min<i32>(y0 + 1, ih - 1);
      lerpRow(ob + <usize>i * trow, tmp + <usize>y0 * trow, tmp + <usize>y1 * trow, ow, <f32>(s - <f64>y0));
    }
  }
}
