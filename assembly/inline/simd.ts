// Shared SIMD helpers, @inline so they vanish into the caller. Only reference them inside
// `if (ASC_FEATURE_SIMD)` blocks: the scalar build must not contain a single v128 op.

/** Sum of the four lanes (@thi.ng/simd's hadd idiom: swap halves, add, swap pairs, add). */
@inline export function hadd(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2)), 0);
}

/** Lanes 2 and 3 of an f32x4 widened to f64x2 (lanes 0 and 1 are f64x2.promote_low_f32x4). */
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Sum of the two f64 lanes, low lane first (the order a scalar loop would use). */
@inline export function hadd64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * max(x, 0) with Math.max semantics (NaN stays NaN, −0 becomes +0), branch-free on the bits: V8
 * lowers scalar f32.max, and a float select, to compare-and-branch code that mispredicts on signed
 * data (measured 10–20 ns per element). Keeps x when its sign bit is clear or it is a NaN.
 */
@inline export function relu32(x: f32): f32 {
  const b = reinterpret<i32>(x);
  const keep = <i32>(b >= 0) | <i32>((b & 0x7fffffff) > 0x7f800000);
  return reinterpret<f32>(b & -keep);
}
