// In place, per map of `len` values: x -= min(x); x /= (eps + max(x)), pytorch-grad-cam's
// scale_cam_image, in two passes: f32 subtraction rounds monotonically, so max(x − lo) is exactly
// hi − lo and one min/max pass suffices. The denominator is formed in f64 and rounded to f32 (numpy
// promotes the scalar eps + max to f64, then divides the f32 array by it in f32); a true division,
// not a reciprocal multiply. Every step is an exactly rounded f32 op, so all flavors agree bit for bit.
// min/max use f32.min/f32.max (NaN-propagating): a NaN anywhere makes the whole map NaN.
export function minmax_normalize(x: usize, n: i32, len: i32, eps: f64): void {
  for (let b = 0; b < n; b++) {
    const m = x + (<usize>b * <usize>len << 2);
    let lo = Infinity as f32;
    let hi = -Infinity as f32;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      if (len >= 4) {
        // pmin/pmax are one instruction each; the NaN-propagating f32x4.min/max lower to about seven
        // on x64 and made this pass 3× slower. NaN is tracked on the side instead.
        let vlo = f32x4.splat(Infinity), vhi = f32x4.splat(-Infinity), nan = i32x4.splat(0);
        for (; i + 4 <= len; i += 4) {
          const v = v128.load(m + (<usize>i << 2));
          vlo = f32x4.pmin(vlo, v);
          vhi = f32x4.pmax(vhi, v);
          nan = v128.or(nan, f32x4.ne(v, v));
        }
        lo = min<f32>(min<f32>(f32x4.extract_lane(vlo, 0), f32x4.extract_lane(vlo, 1)), min<f32>(f32x4.extract_lane(vlo, 2), f32x4.extract_lane(vlo, 3)));
        hi = max<f32>(max<f32>(f32x4.extract_lane(vhi, 0), f32x4.extract_lane(vhi, 1)), max<f32>(f32x4.extract_lane(vhi, 2), f32x4.extract_lane(vhi, 3)));
        if (v128.any_true(nan)) lo = hi = NaN;
      }
    }
    for (; i < len; i++) {
      const v = load<f32>(m + (<usize>i << 2));
      lo = min<f32>(lo, v);
      hi = max<f32>(hi, v);
    }
    // Which zero wins a ±0 tie depends on the visiting order; + 0 makes both +0 in every flavor.
    lo += 0;
    hi += 0;
    const d = <f32>(eps + <f64>(hi - lo));
    if (d == 0) memory.fill(m, 0, <usize>len << 2); // a constant map with eps = 0: 0, not 0/0
    else scale(m, len, lo, d);
  }
}

// x = (x − lo) / d.
function scale(m: usize, len: i32, lo: f32, d: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlo = f32x4.splat(lo), vd = f32x4.splat(d);
    for (; i + 4 <= len; i += 4) {
      const p = m + (<usize>i << 2);
      v128.store(p, f32x4.div(f32x4.sub(v128.load(p), vlo), vd));
    }
  }
  for (; i < len; i++) {
    const p = m + (<usize>i << 2);
    store<f32>(p, (load<f32>(p) - lo) / d);
  }
}
