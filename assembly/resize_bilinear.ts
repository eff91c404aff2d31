// Bilinear resize of planar maps ih×iw → oh×ow (performance.md §2.2): every input row is first
// resized horizontally into tmp[ih][ow] (a gather, scalar), then each output row is a lerp of two
// tmp rows (contiguous, SIMD). Taps are computed in f64 exactly as the twin does; each lerp is
// a + (b − a)·f in f32, so the flavors agree bit for bit and constant maps stay constant.
// alignCorners = 0: src = (i + 0.5)·in/out − 0.5 clamped to [0, in − 1] (cv2 INTER_LINEAR,
// tf.image.resizeBilinear half-pixel centres); 1: src = i·(in − 1)/(out − 1).
export function resize_bilinear(
  out: usize, x: usize, tmp: usize, n: i32, ih: i32, iw: i32, oh: i32, ow: i32, alignCorners: i32,
): void {
  const trow = <usize>ow << 2;
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>b * <usize>ih * <usize>iw << 2);
    const ob = out + (<usize>b * <usize>oh * <usize>ow << 2);
    for (let j = 0; j < ow; j++) {
      const s = source(j, iw, ow, alignCorners);
      const j0 = <i32>Math.floor(s);
      const j1 = min<i32>(j0 + 1, iw - 1);
      const f = <f32>(s - <f64>j0);
      let p = xb;
      let t = tmp + (<usize>j << 2);
      for (let y = 0; y < ih; y++) {
        const l = load<f32>(p + (<usize>j0 << 2));
        const r = load<f32>(p + (<usize>j1 << 2));
        store<f32>(t, l + (r - l) * f);
        p += <usize>iw << 2;
        t += trow;
      }
    }
    for (let i = 0; i < oh; i++) {
      const s = source(i, ih, oh, alignCorners);
      const y0 = <i32>Math.floor(s);
      const y1 = min<i32>(y0 + 1, ih - 1);
      lerpRows(ob + <usize>i * trow, tmp + <usize>y0 * trow, tmp + <usize>y1 * trow, ow, <f32>(s - <f64>y0));
    }
  }
}

@inline function source(i: i32, inn: i32, out: i32, alignCorners: i32): f64 {
  if (alignCorners) return out > 1 ? (<f64>i * <f64>(inn - 1)) / <f64>(out - 1) : 0;
  return min<f64>(max<f64>(((<f64>i + 0.5) * <f64>inn) / <f64>out - 0.5, 0), <f64>(inn - 1));
}

function lerpRows(o: usize, t: usize, u: usize, ow: i32, f: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vf = f32x4.splat(f);
    for (; j + 4 <= ow; j += 4) {
      const q = <usize>j << 2;
      const a = v128.load(t + q);
      v128.store(o + q, f32x4.add(a, f32x4.mul(f32x4.sub(v128.load(u + q), a), vf)));
    }
  }
  for (; j < ow; j++) {
    const q = <usize>j << 2;
    const a = load<f32>(t + q);
    store<f32>(o + q, a + (load<f32>(u + q) - a) * f);
  }
}
