// Index of the first NaN or ±Inf in x[0..len), or −1: the facade's input check, in wasm because a
// plain JS scan of A and G (2 × 100 k floats at 7×7×2048) cost more than every kernel of a Grad-CAM
// together (bench row check-finite/7x7x2048). A value is non-finite exactly when its exponent bits
// are all ones, so the test is integer and-compare; blocks of 16 are OR-ed and only a block that
// hits is rescanned one by one for the exact index.
const EXP: i32 = 0x7f800000;

export function first_nonfinite(x: usize, len: i32): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e = i32x4.splat(EXP);
    for (; i + 16 <= len; i += 16) {
      const p = x + (<usize>i << 2);
      const m0 = i32x4.eq(v128.and(v128.load(p), e), e);
      const m1 = i32x4.eq(v128.and(v128.load(p, 16), e), e);
      const m2 = i32x4.eq(v128.and(v128.load(p, 32), e), e);
      const m3 = i32x4.eq(v128.and(v128.load(p, 48), e), e);
      if (v128.any_true(v128.or(v128.or(m0, m1), v128.or(m2, m3)))) break;
    }
  } else {
    for (; i + 4 <= len; i += 4) {
      const p = x + (<usize>i << 2);
      const hit = ((load<i32>(p) & EXP) == EXP) | ((load<i32>(p, 4) & EXP) == EXP) | ((load<i32>(p, 8) & EXP) == EXP) | ((load<i32>(p, 12) & EXP) == EXP);
      if (hit) break;
    }
  }
  for (; i < len; i++) {
    if ((load<i32>(x + (<usize>i << 2)) & EXP) == EXP) return i;
  }
  return -1;
}
