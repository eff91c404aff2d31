import { hadd64, promoteHigh } from "./inline/simd";

// EigenCAM / EigenGradCAM for one image: out = X·v1, X = a (or g⊙a when g != 0) with every channel
// centred over the hw positions, v1 the first right singular vector of X, by power iteration on
// XᵀX without forming it (u = X v, v' = Xᵀ u, normalise) from the row of largest norm, until
// |v' − v| < tol or maxIter. Returns the iterations used. All dot products accumulate in f64; X is
// scaled by exact powers of two so the f32 scratch neither underflows nor overflows.
// x[hw·c] and v[c] are scratch; v holds v1 on return (same sign as the map).
//
// SIGN RULE (the SVD sign is arbitrary): flip so that Σ_p out[p]·r[p] ≥ 0, r[p] = Σ_k X[p][k]
// (centred row sums): the map correlates positively with the channel-summed input. If that is
// exactly 0, the entry of largest magnitude (first on ties) is made positive.
// Degenerate X (all zero after centring, or c = 0): all-zero map, 0 iterations. Non-finite X: all-NaN map.
//
// Column sums (centring, Xᵀu) run in position order per channel, as in the twin, so they agree
// bit for bit; only X·v (a row dot product, two f64 lanes in SIMD) is summed in another order.
export function eigen_pc(
  out: usize, a: usize, g: usize, x: usize, v: usize, hw: i32, c: i32, maxIter: i32, tol: f64,
): i32 {
  if (hw <= 0) return 0;
  if (c <= 0) {
    memory.fill(out, 0, <usize>hw << 2);
    return 0;
  }
  const len = hw * c;
  build(x, a, g, len);
  const maxRaw = maxAbsOf(x, len);
  if (!(maxRaw < Infinity)) {
    fill(out, NaN, hw);
    fill(v, NaN, c);
    return 0;
  }
  // Two exact power-of-two scalings: before centring (denormal or huge inputs keep every bit) and
  // after it (so u = X·v stays in the normal f32 range). Undone on the map at the end.
  let e = 0;
  if (maxRaw > 0) e = scaleToUnit(x, len, maxRaw);
  const maxAbs = centre(x, hw, c);
  if (maxAbs == 0) {
    memory.fill(out, 0, <usize>hw << 2);
    memory.fill(v, 0, <usize>c << 2);
    return 0;
  }
  e += scaleToUnit(x, len, maxAbs);

  const row = <usize>c << 2;
  let best = 0;
  let bestNorm: f64 = -1;
  for (let p = 0; p < hw; p++) {
    const r = x + <usize>p * row;
    let s: f64 = 0;
    for (let k = 0; k < c; k++) {
      const q = <f64>load<f32>(r + (<usize>k << 2));
      s += q * q;
    }
    if (s > bestNorm) {
      bestNorm = s;
      best = p;
    }
  }
  const inv = 1 / Math.sqrt(bestNorm);
  const br = x + <usize>best * row;
  for (let k = 0; k < c; k++) store<f32>(v + (<usize>k << 2), <f32>(<f64>load<f32>(br + (<usize>k << 2)) * inv));

  let it = 0;
  while (it < maxIter) {
    it++;
    project(out, x, v, hw, c);
    const delta = transposeStep(v, x, out, hw, c);
    if (delta < tol) break; // also false for NaN (a degenerate step), which ends via the check below
    if (!(delta == delta)) break;
  }
  project(out, x, v, hw, c);

  let d: f64 = 0;
  for (let p = 0; p < hw; p++) {
    const r = x + <usize>p * row;
    let s: f64 = 0;
    for (let k = 0; k < c; k++) s += <f64>load<f32>(r + (<usize>k << 2));
    d += <f64>load<f32>(out + (<usize>p << 2)) * s;
  }
  let flip = d < 0;
  if (d == 0) {
    let at = 0;
    let m = abs<f32>(load<f32>(out));
    for (let p = 1; p < hw; p++) {
      const q = abs<f32>(load<f32>(out + (<usize>p << 2)));
      if (q > m) {
        m = q;
        at = p;
      }
    }
    flip = load<f32>(out + (<usize>at << 2)) < 0;
  }
  const back = flip ? -pow2(e) : pow2(e);
  for (let p = 0; p < hw; p++) {
    const o = out + (<usize>p << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) * back));
  }
  if (flip) for (let k = 0; k < c; k++) store<f32>(v + (<usize>k << 2), -load<f32>(v + (<usize>k << 2)));
  return it;
}

@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

function fill(p: usize, value: f32, len: i32): void {
  for (let i = 0; i < len; i++) store<f32>(p + (<usize>i << 2), value);
}

// x = a, or a⊙g.
function build(x: usize, a: usize, g: usize, len: i32): void {
  if (g == 0) {
    memory.copy(x, a, <usize>len << 2);
    return;
  }
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(a + o), v128.load(g + o)));
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(a + o) * load<f32>(g + o));
  }
}

// Subtracts each channel's mean (f64, position order); returns max |X|.
function centre(x: usize, hw: i32, c: i32): f64 {
  const stride = <usize>c << 2;
  let m: f64 = 0;
  for (let k = 0; k < c; k++) {
    let s: f64 = 0;
    let p = x + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      s += <f64>load<f32>(p);
      p += stride;
    }
    s /= <f64>hw;
    p = x + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      const q = <f32>(<f64>load<f32>(p) - s);
      store<f32>(p, q);
      m = max<f64>(m, abs<f64>(<f64>q));
      p += stride;
    }
  }
  return m;
}

// Multiplies x by 2^−e, e the smallest integer with 2^e ≥ m (read off the f64 bits), so max|x|
// lands in (0.5, 1]. Returns e.
function scaleToUnit(x: usize, len: i32, m: f64): i32 {
  const bits = reinterpret<u64>(m);
  const e = <i32>((bits >> 52) & 0x7ff) - 1023 + ((bits & 0xfffffffffffff) != 0 ? 1 : 0);
  const f = pow2(-e);
  for (let i = 0; i < len; i++) {
    const o = x + (<usize>i << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) * f));
  }
  return e;
}

// max |x| in f64 (NaN if any NaN).
function maxAbsOf(x: usize, len: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < len; i++) m = max<f64>(m, abs<f64>(<f64>load<f32>(x + (<usize>i << 2))));
  return m;
}

// u[p] = Σ_k X[p][k]·v[k] in f64.
function project(u: usize, x: usize, v: usize, hw: i32, c: i32): void {
  const row = <usize>c << 2;
  let r = x;
  for (let p = 0; p < hw; p++) {
    let k = 0;
    let s: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      for (; k + 4 <= c; k += 4) {
        const o = <usize>k << 2;
        const xv = v128.load(r + o), vv = v128.load(v + o);
        a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(vv)));
        a1 = f64x2.add(a1, f64x2.mul(promoteHigh(xv), promoteHigh(vv)));
      }
      s = hadd64(f64x2.add(a0, a1));
    }
    for (; k < c; k++) {
      const o = <usize>k << 2;
      s += <f64>load<f32>(r + o) * <f64>load<f32>(v + o);
    }
    store<f32>(u + (<usize>p << 2), <f32>s);
    r += row;
  }
}

// v ← normalise(Xᵀu); returns |v_new − v_old|, from v'·v_old and |v_old|² gathered while v_old is
// overwritten column by column (v_old, stored in f32, is only nearly unit, so its norm is kept).
function transposeStep(v: usize, x: usize, u: usize, hw: i32, c: i32): f64 {
  const stride = <usize>c << 2;
  let nn: f64 = 0, dot: f64 = 0, vv: f64 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 4 <= c; k += 4) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const xv = v128.load(p);
        const up = f64x2.splat(<f64>load<f32>(u + (<usize>i << 2)));
        lo = f64x2.add(lo, f64x2.mul(f64x2.promote_low_f32x4(xv), up));
        hi = f64x2.add(hi, f64x2.mul(promoteHigh(xv), up));
        p += stride;
      }
      const o = v + (<usize>k << 2);
      // Same order of the n/d/v sums as the scalar loop below.
      const s0 = f64x2.extract_lane(lo, 0), s1 = f64x2.extract_lane(lo, 1);
      const s2 = f64x2.extract_lane(hi, 0), s3 = f64x2.extract_lane(hi, 1);
      const v0 = <f64>load<f32>(o), v1 = <f64>load<f32>(o, 4), v2 = <f64>load<f32>(o, 8), v3 = <f64>load<f32>(o, 12);
      nn += s0 * s0; dot += s0 * v0; vv += v0 * v0;
      nn += s1 * s1; dot += s1 * v1; vv += v1 * v1;
      nn += s2 * s2; dot += s2 * v2; vv += v2 * v2;
      nn += s3 * s3; dot += s3 * v3; vv += v3 * v3;
      v128.store(o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
  }
  for (; k < c; k++) {
    let s: f64 = 0;
    let p = x + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      s += <f64>load<f32>(p) * <f64>load<f32>(u + (<usize>i << 2));
      p += stride;
    }
    const o = v + (<usize>k << 2);
    const vo = <f64>load<f32>(o);
    nn += s * s;
    dot += s * vo;
    vv += vo * vo;
    store<f32>(o, <f32>s);
  }
  if (!(nn > 0)) return NaN;
  const nrm = Math.sqrt(nn);
  for (let i = 0; i < c; i++) {
    const o = v + (<usize>i << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) / nrm));
  }
  return Math.sqrt(max<f64>(0, 1 - 2 * (dot / nrm) + vv));
}
