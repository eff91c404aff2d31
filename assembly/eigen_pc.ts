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
// mode 1 (SegEigenCAM): X = |g|⊙a (g required) and pytorch-grad-cam's sign correction instead: the
// map is negated when |min| > |max| (ties keep it).
// Degenerate X (all zero after centring, or c = 0): all-zero map, 0 iterations. Non-finite X: all-NaN map.
//
// Column sums (centring, Xᵀu) run in position order per channel, as in the twin, so they agree
// bit for bit; only X·v (a row dot product, two f64 lanes in SIMD) is summed in another order.
export function eigen_pc(
  out: usize, a: usize, g: usize, x: usize, v: usize, hw: i32, c: i32, maxIter: i32, tol: f64, mode: i32,
): i32 {
  if (hw <= 0) return 0;
  if (c <= 0) {
    memory.fill(out, 0, <usize>hw << 2);
    return 0;
  }
  const len = hw * c;
  build(x, a, g, len, mode);
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

  let flip = false;
  if (mode == 1) {
    let lo: f32 = 0, hi: f32 = 0;
    for (let p = 0; p < hw; p++) {
      const q = load<f32>(out + (<usize>p << 2));
      lo = min<f32>(lo, q);
      hi = max<f32>(hi, q);
    }
    flip = -lo > hi;
  } else {
    flip = signRule(out, x, hw, c);
  }
  const back = flip ? -pow2(e) : pow2(e);
  for (let p = 0; p < hw; p++) {
    const o = out + (<usize>p << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) * back));
  }
  if (flip) for (let k = 0; k < c; k++) store<f32>(v + (<usize>k << 2), -load<f32>(v + (<usize>k << 2)));
  return it;
}

// camkit's rule for mode 0: true when the map must be negated (see the header).
function signRule(out: usize, x: usize, hw: i32, c: i32): bool {
  const row = <usize>c << 2;
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
  return flip;
}

@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

function fill(p: usize, value: f32, len: i32): void {
  for (let i = 0; i < len; i++) store<f32>(p + (<usize>i << 2), value);
}

// x = a, a⊙g, or (mode 1) a⊙|g|.
function build(x: usize, a: usize, g: usize, len: i32, mode: i32): void {
  if (g == 0) {
    memory.copy(x, a, <usize>len << 2);
    return;
  }
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (mode == 1) {
      for (; i + 4 <= len; i += 4) {
        const o = <usize>i << 2;
        v128.store(x + o, f32x4.mul(v128.load(a + o), f32x4.abs(v128.load(g + o))));
      }
    } else {
      for (; i + 4 <= len; i += 4) {
        const o = <usize>i << 2;
        v128.store(x + o, f32x4.mul(v128.load(a + o), v128.load(g + o)));
      }
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    store<f32>(x + o, load<f32>(a + o) * (mode == 1 ? abs<f32>(gv) : gv));
  }
}

// Subtracts each channel's mean (f64, position order); returns max |X|. Channels go 16 at a time
// (one cache line per row) in SIMD: with a row stride of c floats, channel-by-channel walks hit the
// same L1 set on every row when c is a large power of two.
function centre(x: usize, hw: i32, c: i32): f64 {
  const stride = <usize>c << 2;
  let m: f64 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const n = f64x2.splat(<f64>hw);
    let vm = f32x4.splat(0);
    for (; k + 16 <= c; k += 16) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
        a1 = f64x2.add(a1, promoteHigh(v0));
        a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
        a3 = f64x2.add(a3, promoteHigh(v1));
        a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v2));
        a5 = f64x2.add(a5, promoteHigh(v2));
        a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v3));
        a7 = f64x2.add(a7, promoteHigh(v3));
        p += stride;
      }
      a0 = f64x2.div(a0, n); a1 = f64x2.div(a1, n); a2 = f64x2.div(a2, n); a3 = f64x2.div(a3, n);
      a4 = f64x2.div(a4, n); a5 = f64x2.div(a5, n); a6 = f64x2.div(a6, n); a7 = f64x2.div(a7, n);
      p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const r0 = subMean(v128.load(p), a0, a1);
        const r1 = subMean(v128.load(p, 16), a2, a3);
        const r2 = subMean(v128.load(p, 32), a4, a5);
        const r3 = subMean(v128.load(p, 48), a6, a7);
        v128.store(p, r0);
        v128.store(p, r1, 16);
        v128.store(p, r2, 32);
        v128.store(p, r3, 48);
        vm = f32x4.max(vm, f32x4.max(f32x4.max(f32x4.abs(r0), f32x4.abs(r1)), f32x4.max(f32x4.abs(r2), f32x4.abs(r3))));
        p += stride;
      }
    }
    m = <f64>max<f32>(max<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  } else {
    // Scalar build: four channels per walk down the rows.
    for (; k + 4 <= c; k += 4) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        s0 += <f64>load<f32>(p); s1 += <f64>load<f32>(p, 4); s2 += <f64>load<f32>(p, 8); s3 += <f64>load<f32>(p, 12);
        p += stride;
      }
      s0 /= <f64>hw; s1 /= <f64>hw; s2 /= <f64>hw; s3 /= <f64>hw;
      p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const q0 = <f32>(<f64>load<f32>(p) - s0), q1 = <f32>(<f64>load<f32>(p, 4) - s1);
        const q2 = <f32>(<f64>load<f32>(p, 8) - s2), q3 = <f32>(<f64>load<f32>(p, 12) - s3);
        store<f32>(p, q0); store<f32>(p, q1, 4); store<f32>(p, q2, 8); store<f32>(p, q3, 12);
        m = max<f64>(m, <f64>max<f32>(max<f32>(abs<f32>(q0), abs<f32>(q1)), max<f32>(abs<f32>(q2), abs<f32>(q3))));
        p += stride;
      }
    }
  }
  for (; k < c; k++) {
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

// Four f32 lanes minus two f64x2 means, rounded back to f32 (= the twin's f32(x − m)).
@inline function subMean(v: v128, lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(
    f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v), lo)),
    f32x4.demote_f64x2_zero(f64x2.sub(promoteHigh(v), hi)),
    0, 1, 4, 5,
  );
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
    // 16 channels (one cache line per row) at a time, for the reason given at centre().
    for (; k + 16 <= c; k += 16) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const up = f64x2.splat(<f64>load<f32>(u + (<usize>i << 2)));
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(v0), up));
        a1 = f64x2.add(a1, f64x2.mul(promoteHigh(v0), up));
        a2 = f64x2.add(a2, f64x2.mul(f64x2.promote_low_f32x4(v1), up));
        a3 = f64x2.add(a3, f64x2.mul(promoteHigh(v1), up));
        a4 = f64x2.add(a4, f64x2.mul(f64x2.promote_low_f32x4(v2), up));
        a5 = f64x2.add(a5, f64x2.mul(promoteHigh(v2), up));
        a6 = f64x2.add(a6, f64x2.mul(f64x2.promote_low_f32x4(v3), up));
        a7 = f64x2.add(a7, f64x2.mul(promoteHigh(v3), up));
        p += stride;
      }
      // Fold the column sums into |v'|², v'·v, |v|² in channel order (as the scalar loop and the
      // twin do), storing each as the new v. Lane extracts and scalar loads on purpose: a version
      // with load64_zero/store64_lane and lane-wise f64x2 sums intermittently never met tol, in
      // Node 20 (cause not pinned down; fresh runtimes behaved differently, so possibly a tier-up).
      const o = v + (<usize>k << 2);
      let s0: f64, s1: f64, q0: f64, q1: f64;
      s0 = f64x2.extract_lane(a0, 0); s1 = f64x2.extract_lane(a0, 1);
      q0 = <f64>load<f32>(o, 0); q1 = <f64>load<f32>(o, 4);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 0); store<f32>(o, <f32>s1, 4);
      s0 = f64x2.extract_lane(a1, 0); s1 = f64x2.extract_lane(a1, 1);
      q0 = <f64>load<f32>(o, 8); q1 = <f64>load<f32>(o, 12);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 8); store<f32>(o, <f32>s1, 12);
      s0 = f64x2.extract_lane(a2, 0); s1 = f64x2.extract_lane(a2, 1);
      q0 = <f64>load<f32>(o, 16); q1 = <f64>load<f32>(o, 20);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 16); store<f32>(o, <f32>s1, 20);
      s0 = f64x2.extract_lane(a3, 0); s1 = f64x2.extract_lane(a3, 1);
      q0 = <f64>load<f32>(o, 24); q1 = <f64>load<f32>(o, 28);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 24); store<f32>(o, <f32>s1, 28);
      s0 = f64x2.extract_lane(a4, 0); s1 = f64x2.extract_lane(a4, 1);
      q0 = <f64>load<f32>(o, 32); q1 = <f64>load<f32>(o, 36);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 32); store<f32>(o, <f32>s1, 36);
      s0 = f64x2.extract_lane(a5, 0); s1 = f64x2.extract_lane(a5, 1);
      q0 = <f64>load<f32>(o, 40); q1 = <f64>load<f32>(o, 44);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 40); store<f32>(o, <f32>s1, 44);
      s0 = f64x2.extract_lane(a6, 0); s1 = f64x2.extract_lane(a6, 1);
      q0 = <f64>load<f32>(o, 48); q1 = <f64>load<f32>(o, 52);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 48); store<f32>(o, <f32>s1, 52);
      s0 = f64x2.extract_lane(a7, 0); s1 = f64x2.extract_lane(a7, 1);
      q0 = <f64>load<f32>(o, 56); q1 = <f64>load<f32>(o, 60);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      store<f32>(o, <f32>s0, 56); store<f32>(o, <f32>s1, 60);
    }
  } else {
    // Scalar build: four channels per walk down the rows, folded in channel order as below.
    for (; k + 4 <= c; k += 4) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const ui = <f64>load<f32>(u + (<usize>i << 2));
        s0 += <f64>load<f32>(p) * ui; s1 += <f64>load<f32>(p, 4) * ui;
        s2 += <f64>load<f32>(p, 8) * ui; s3 += <f64>load<f32>(p, 12) * ui;
        p += stride;
      }
      const o = v + (<usize>k << 2);
      const q0 = <f64>load<f32>(o), q1 = <f64>load<f32>(o, 4), q2 = <f64>load<f32>(o, 8), q3 = <f64>load<f32>(o, 12);
      nn += s0 * s0; dot += s0 * q0; vv += q0 * q0;
      nn += s1 * s1; dot += s1 * q1; vv += q1 * q1;
      nn += s2 * s2; dot += s2 * q2; vv += q2 * q2;
      nn += s3 * s3; dot += s3 * q3; vv += q3 * q3;
      store<f32>(o, <f32>s0); store<f32>(o, <f32>s1, 4); store<f32>(o, <f32>s2, 8); store<f32>(o, <f32>s3, 12);
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
