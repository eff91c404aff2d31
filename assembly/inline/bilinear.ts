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

/** Taps of `out` output indices into `inn` inputs: lower taps (i32) at `taps`, weights (f32) after them. */
export function computeTaps(taps: usize, inn: i32, out: i32, alignCorners: i32): void {
  const fw = taps + (<usize>out << 2);
  for (let j = 0; j < out; j++) {
    const s = source(j, inn, out, alignCorners);
    const j0 = <i32>Math.floor(s);
    store<i32>(taps + (<usize>j << 2), j0);
    store<f32>(fw + (<usize>j << 2), <f32>(s - <f64>j0));
  }
}

/**
 * horizontalPass with the column taps from computeTaps(taps, iw, ow, …), four output columns per
 * vector where they share one source pair (upsampling: almost all): splat(l) + splat(r − l)·f, the
 * same f32 ops per lane as the scalar form, so the same bits.
 */
export function horizontalPassSimd(tmp: usize, x: usize, ih: i32, iw: i32, ow: i32, taps: usize): void {
  const fw = taps + (<usize>ow << 2);
  const last = iw - 1;
  for (let y = 0; y < ih; y++) {
    const xr = x + (<usize>y * <usize>iw << 2);
    const t = tmp + (<usize>y * <usize>ow << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= ow; j += 4) {
        const q = <usize>j << 2;
        const k0 = load<i32>(taps + q);
        if (k0 == load<i32>(taps + q, 12)) {
          const l = load<f32>(xr + (<usize>k0 << 2));
          const r = load<f32>(xr + (<usize>min(k0 + 1, last) << 2));
          v128.store(t + q, f32x4.add(f32x4.splat(l), f32x4.mul(f32x4.splat(r - l), v128.load(fw + q))));
        } else {
          for (let e = 0; e < 4; e++) {
            const qe = q + (<usize>e << 2);
            const k = load<i32>(taps + qe);
            const l = load<f32>(xr + (<usize>k << 2));
            store<f32>(t + qe, l + (load<f32>(xr + (<usize>min(k + 1, last) << 2)) - l) * load<f32>(fw + qe));
          }
        }
      }
    }
    for (; j < ow; j++) {
      const q = <usize>j << 2;
      const k = load<i32>(taps + q);
      const l = load<f32>(xr + (<usize>k << 2));
      store<f32>(t + q, l + (load<f32>(xr + (<usize>min(k + 1, last) << 2)) - l) * load<f32>(fw + q));
    }
  }
}
