// In place, per map of `len` values: x -= min(x); x /= (eps + max(x)), pytorch-grad-cam's
// scale_cam_image. The denominator is formed in f64 and rounded to f32 (numpy promotes the scalar
// eps + max to f64, then divides the f32 array by it in f32); a true division, not a reciprocal
// multiply. Every step is an exactly rounded f32 op, so all flavors agree bit for bit.
// min/max use f32.min/f32.max, which propagate NaN: a NaN anywhere makes the whole map NaN.
//
// Speed: rounding is monotonic, so max(x − lo) = fl(max(x) − lo) and min and max come from one
// read pass, then one pass writes (x − lo)/d: two passes instead of three. V8 lowers f32x4.min/max
// to ~7 instructions, so a single accumulator chain ran at latency (a 224² map took as long as
// tfjs); four independent accumulators per bound hide it. When lo is NaN or −∞ (x − lo is NaN
// somewhere) the original three-pass order runs, so special values give the same bits as before.
let hiOut: f32 = 0;

export function minmax_normalize(x: usize, n: i32, len: i32, eps: f64): void {
  for (let b = 0; b < n; b++) {
    const m = x + (<usize>b * <usize>len << 2);
    const lo = minMaxOf(m, len);
    let hi: f32;
    if (lo > -Infinity) {
      hi = hiOut - lo;
    } else {
      hi = subtractMax(m, len, lo);
    }
    const d = <f32>(eps + <f64>hi);
    if (d == 0) memory.fill(m, 0, <usize>len << 2); // a constant map with eps = 0: 0, not 0/0
    else if (lo > -Infinity) subtractDivide(m, len, lo, d);
    else divide(m, len, d);
  }
}

// min of the map (returned) and its max (in hiOut), in one read pass.
function minMaxOf(m: usize, len: i32): f32 {
  let i = 0;
  let lo = Infinity as f32;
  let hi = -Infinity as f32;
  if (ASC_FEATURE_SIMD) {
    if (len >= 16) {
      let l0 = f32x4.splat(Infinity), l1 = l0, l2 = l0, l3 = l0;
      let h0 = f32x4.splat(-Infinity), h1 = h0, h2 = h0, h3 = h0;
      for (; i + 16 <= len; i += 16) {
        const p = m + (<usize>i << 2);
        const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), e = v128.load(p, 48);
        l0 = f32x4.min(l0, a); h0 = f32x4.max(h0, a);
        l1 = f32x4.min(l1, b); h1 = f32x4.max(h1, b);
        l2 = f32x4.min(l2, c); h2 = f32x4.max(h2, c);
        l3 = f32x4.min(l3, e); h3 = f32x4.max(h3, e);
      }
      for (; i + 4 <= len; i += 4) {
        const a = v128.load(m + (<usize>i << 2));
        l0 = f32x4.min(l0, a); h0 = f32x4.max(h0, a);
      }
      const l = f32x4.min(f32x4.min(l0, l1), f32x4.min(l2, l3));
      const h = f32x4.max(f32x4.max(h0, h1), f32x4.max(h2, h3));
      lo = min<f32>(min<f32>(f32x4.extract_lane(l, 0), f32x4.extract_lane(l, 1)), min<f32>(f32x4.extract_lane(l, 2), f32x4.extract_lane(l, 3)));
      hi = max<f32>(max<f32>(f32x4.extract_lane(h, 0), f32x4.extract_lane(h, 1)), max<f32>(f32x4.extract_lane(h, 2), f32x4.extract_lane(h, 3)));
    }
  } else {
    let lo1 = Infinity as f32, hi1 = -Infinity as f32;
    for (; i + 2 <= len; i += 2) {
      const p = m + (<usize>i << 2);
      const a = load<f32>(p), b = load<f32>(p, 4);
      lo = min<f32>(lo, a); hi = max<f32>(hi, a);
      lo1 = min<f32>(lo1, b); hi1 = max<f32>(hi1, b);
    }
    lo = min<f32>(lo, lo1);
    hi = max<f32>(hi, hi1);
  }
  for (; i < len; i++) {
    const v = load<f32>(m + (<usize>i << 2));
    lo = min<f32>(lo, v);
    hi = max<f32>(hi, v);
  }
  hiOut = hi;
  return lo;
}

// x = (x − lo) / d, one pass.
function subtractDivide(m: usize, len: i32, lo: f32, d: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlo = f32x4.splat(lo);
    const vd = f32x4.splat(d);
    for (; i + 8 <= len; i += 8) {
      const p = m + (<usize>i << 2);
      v128.store(p, f32x4.div(f32x4.sub(v128.load(p), vlo), vd));
      v128.store(p, f32x4.div(f32x4.sub(v128.load(p, 16), vlo), vd), 16);
    }
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
