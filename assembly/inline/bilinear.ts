// The two passes of a separable bilinear resize, shared by resize_bilinear and resize_bilinear_minmax
// so both produce the same bits. Taps are computed in f64 exactly as the TypeScript twin's
// bilinearTap; each lerp is a + (b − a)·f in f32, so constant maps stay constant.

/** Source coordinate of output index i (alignCorners 0: half-pixel centres, clamped; 1: aligned corners). */
// @ts-ignore: decorator
@inline export function source(i: i32, inn: i32, out: i32, alignCorners: i32): f64 {
  if (alignCorners) return out > 1 ? (<f64>i * <f64>(inn - 1)) / <f64>(out - 1) : 0;
  return min<f64>(max<f64>(((<f64>i + 0.5) * <f64>inn) / <f64>out - 0.5, 0), <f64>(inn - 1));
}

/** Every input row resized horizontally into tmp[ih][ow] (a gather, scalar: ih·ow values only). Not inlined: one copy for both kernels. */
export function horizontalPass(tmp: usize, x: usize, ih: i32, iw: i32, ow: i32, alignCorners: i32): void {
  const trow = <usize>ow << 2;
  for (let j = 0; j < ow; j++) {
    const s = source(j, iw, ow, alignCorners);
    const j0 = <i32>Math.floor(s);
    const j1 = min<i32>(j0 + 1, iw - 1);
    const f = <f32>(s - <f64>j0);
    let p = x;
    let t = tmp + (<usize>j << 2);
    for (let y = 0; y < ih; y++) {
      const l = load<f32>(p + (<usize>j0 << 2));
      const r = load<f32>(p + (<usize>j1 << 2));
      store<f32>(t, l + (r - l) * f);
      p += <usize>iw << 2;
      t += trow;
    }
  }
}

/** out[j] = t[j] + (u[j] − t[j])·f for j < ow: one output row from two tmp rows. */
// @ts-ignore: decorator
@inline export function lerpRow(o: usize, t: usize, u: usize, ow: i32, f: f32): void {
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
