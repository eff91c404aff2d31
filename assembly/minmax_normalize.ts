// In place, per map of `len` values: x -= min(x); x /= (eps + max(x)), pytorch-grad-cam's
// scale_cam_image. The denominator is formed in f64 and rounded to f32 (numpy promotes the scalar
// eps + max to f64, then divides the f32 array by it in f32); a true division, not a reciprocal
// multiply. Every step is an exactly rounded f32 op, so all flavors agree bit for bit.
// min/max use f32.min/f32.max, which propagate NaN: a NaN anywhere makes the whole map NaN.
export function minmax_normalize(x: usize, n: i32, len: i32, eps: f64): void {
  for (let b = 0; b < n; b++) {
    const m = x + (<usize>b * <usize>len << 2);
    const lo = minOf(m, len);
    const hi = subtractMax(m, len, lo);
    const d = <f32>(eps + <f64>hi);
    if (d == 0) memory.fill(m, 0, <usize>len << 2); // a constant map with eps = 0: 0, not 0/0
    else divide(m, len, d);
  }
}

function minOf(m: usize, len: i32): f32 {
  let i = 0;
  let lo = Infinity as f32;
  if (ASC_FEATURE_SIMD) {
    if (len >= 4) {
      let v = f32x4.splat(Infinity);
      for (; i + 4 <= len; i += 4) v = f32x4.min(v, v128.load(m + (<usize>i << 2)));
      lo = min<f32>(min<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), min<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
    }
  }
  for (; i < len; i++) lo = min<f32>(lo, load<f32>(m + (<usize>i << 2)));
  return lo;
}

// x -= lo, returning the max of the results.
function subtractMax(m: usize, len: i32, lo: f32): f32 {
  let i = 0;
  let hi = -Infinity as f32;
  if (ASC_FEATURE_SIMD) {
    if (len >= 4) {
      const vlo = f32x4.splat(lo);
      let v = f32x4.splat(-Infinity);
      for (; i + 4 <= len; i += 4) {
        const p = m + (<usize>i << 2);
        const r = f32x4.sub(v128.load(p), vlo);
        v128.store(p, r);
        v = f32x4.max(v, r);
      }
      hi = max<f32>(max<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
    }
  }
  for (; i < len; i++) {
    const p = m + (<usize>i << 2);
    const r = load<f32>(p) - lo;
    store<f32>(p, r);
    hi = max<f32>(hi, r);
  }
  return hi;
}

function divide(m: usize, len: i32, d: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vd = f32x4.splat(d);
    for (; i + 4 <= len; i += 4) {
      const p = m + (<usize>i << 2);
      v128.store(p, f32x4.div(v128.load(p), vd));
    }
  }
  for (; i < len; i++) {
    const p = m + (<usize>i << 2);
    store<f32>(p, load<f32>(p) / d);
  }
}
