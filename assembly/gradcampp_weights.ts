import { promoteHigh, relu32 } from "./inline/simd";

// Grad-CAM++ weights, pytorch-grad-cam's formula: per image, S_k = Σ_p a[p][k];
// α = g²/(2g² + S_k·g³ + 1e-6), α = 0 where g == 0; out[k] = Σ_p relu(g)·α.
// Per-element terms are f32 (the reference evaluates them on float32 arrays); the sums over p
// accumulate in f64, column by column in position order, exactly as the twin does, so every
// flavor gives the same bits. Channels go four at a time (one f32x4 and two f64x2 accumulators in
// SIMD, four scalar accumulators in the scalar build) so each walk down the rows serves four columns.
export function gradcampp_weights(out: usize, g: usize, a: usize, tmp: usize, n: i32, hw: i32, c: i32): void {
  const img = <usize>hw * <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const ob = out + (<usize>b * <usize>c << 2);
    columnSums(tmp, a + <usize>b * img, hw, c);
    weights(ob, g + <usize>b * img, tmp, hw, c);
  }
}

// s[k] = Σ_p x[p][k], f64 accumulation in position order, rounded once to f32.
function columnSums(s: usize, x: usize, hw: i32, c: i32): void {
  const stride = <usize>c << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 4 <= c; k += 4) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const v = v128.load(p);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, promoteHigh(v));
        p += stride;
      }
      const o = s + (<usize>k << 2);
      v128.store(o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
  } else {
    // Scalar build: four channels per walk down the rows (a quarter of the strided cache misses).
    for (; k + 4 <= c; k += 4) {
      let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
      let p = x + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        a0 += <f64>load<f32>(p); a1 += <f64>load<f32>(p, 4); a2 += <f64>load<f32>(p, 8); a3 += <f64>load<f32>(p, 12);
        p += stride;
      }
      const o = s + (<usize>k << 2);
      store<f32>(o, <f32>a0); store<f32>(o, <f32>a1, 4); store<f32>(o, <f32>a2, 8); store<f32>(o, <f32>a3, 12);
    }
  }
  for (; k < c; k++) {
    let acc: f64 = 0;
    let p = x + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      acc += <f64>load<f32>(p);
      p += stride;
    }
    store<f32>(s + (<usize>k << 2), <f32>acc);
  }
}

@inline function alphaTerm(gv: f32, sk: f32): f32 {
  const g2 = gv * gv;
  const den = (g2 + g2 + sk * (g2 * gv)) + <f32>1e-6;
  return relu32(gv) * (g2 / den);
}

function weights(out: usize, g: usize, s: usize, hw: i32, c: i32): void {
  const stride = <usize>c << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    const eps = f32x4.splat(<f32>1e-6);
    for (; k + 4 <= c; k += 4) {
      const sk = v128.load(s + (<usize>k << 2));
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let p = g + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const gv = v128.load(p);
        const g2 = f32x4.mul(gv, gv);
        const den = f32x4.add(f32x4.add(f32x4.add(g2, g2), f32x4.mul(sk, f32x4.mul(g2, gv))), eps);
        // α = 0 where g == 0 (matters only when S is ±Inf, where 0·Inf would give NaN).
        const t = v128.and(f32x4.mul(f32x4.max(gv, z), f32x4.div(g2, den)), f32x4.ne(gv, z));
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(t));
        hi = f64x2.add(hi, promoteHigh(t));
        p += stride;
      }
      const o = out + (<usize>k << 2);
      store<f32>(o, <f32>f64x2.extract_lane(lo, 0));
      store<f32>(o, <f32>f64x2.extract_lane(lo, 1), 4);
      store<f32>(o, <f32>f64x2.extract_lane(hi, 0), 8);
      store<f32>(o, <f32>f64x2.extract_lane(hi, 1), 12);
    }
  } else {
    // Scalar build: four channels per walk down the rows.
    for (; k + 4 <= c; k += 4) {
      const o = s + (<usize>k << 2);
      const s0 = load<f32>(o), s1 = load<f32>(o, 4), s2 = load<f32>(o, 8), s3 = load<f32>(o, 12);
      let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
      let p = g + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        const g0 = load<f32>(p), g1 = load<f32>(p, 4), g2 = load<f32>(p, 8), g3 = load<f32>(p, 12);
        if (g0 != 0) a0 += <f64>alphaTerm(g0, s0);
        if (g1 != 0) a1 += <f64>alphaTerm(g1, s1);
        if (g2 != 0) a2 += <f64>alphaTerm(g2, s2);
        if (g3 != 0) a3 += <f64>alphaTerm(g3, s3);
        p += stride;
      }
      const q = out + (<usize>k << 2);
      store<f32>(q, <f32>a0); store<f32>(q, <f32>a1, 4); store<f32>(q, <f32>a2, 8); store<f32>(q, <f32>a3, 12);
    }
  }
  for (; k < c; k++) {
    const sk = load<f32>(s + (<usize>k << 2));
    let acc: f64 = 0;
    let p = g + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      const gv = load<f32>(p);
      if (gv != 0) acc += <f64>alphaTerm(gv, sk);
      p += stride;
    }
    store<f32>(out + (<usize>k << 2), <f32>acc);
  }
}
