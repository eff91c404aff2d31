import { promoteHigh } from "./inline/simd";

// FEM (k-sigma) channel weights for n images of NHWC activations a[n][hw][c]:
//   th[b][k] = f32(mean + kSigma·std)  (population std over the hw positions, both in f64)
//   w[b][k]  = #{p : a[b][p][k] > th[b][k]} / hw   (strict, compared in f32)
// pytorch-grad-cam computes mean and std in f32 numpy; f64 here keeps the thresholds within a few f32
// ulps of its values while every flavor sums each channel in position order, so all agree bit for bit.
// An all-zero channel gets th = 0 and w = 0; a NaN or ±Inf in a channel gives th = NaN and w = 0.
export function fem_weights(w: usize, th: usize, a: usize, n: i32, hw: i32, c: i32, kSigma: f64): void {
  if (hw <= 0) {
    memory.fill(w, 0, <usize>n * <usize>c << 2);
    memory.fill(th, 0, <usize>n * <usize>c << 2);
    return;
  }
  const img = <usize>hw * <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const ab = a + <usize>b * img;
    const off = <usize>b * <usize>c << 2;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= c; k += 4) block4(w + off, th + off, ab, hw, c, k, kSigma);
    }
    for (; k < c; k++) one(w + off, th + off, ab, hw, c, k, kSigma);
  }
}

// Four channels per walk down the rows (two f64x2 accumulators per pass).
function block4(w: usize, th: usize, a: usize, hw: i32, c: i32, k: i32, kSigma: f64): void {
  const stride = <usize>c << 2;
  const o = <usize>k << 2;
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let p = a + o;
  for (let i = 0; i < hw; i++) {
    const v = v128.load(p);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, promoteHigh(v));
    p += stride;
  }
  const nn = f64x2.splat(<f64>hw);
  const m0 = f64x2.div(s0, nn), m1 = f64x2.div(s1, nn);
  let q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  p = a + o;
  for (let i = 0; i < hw; i++) {
    const v = v128.load(p);
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m0), d1 = f64x2.sub(promoteHigh(v), m1);
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    p += stride;
  }
  const t = thresholds(m0, m1, q0, q1, nn, f64x2.splat(kSigma));
  let cnt = i32x4.splat(0);
  p = a + o;
  for (let i = 0; i < hw; i++) {
    cnt = i32x4.sub(cnt, f32x4.gt(v128.load(p), t));
    p += stride;
  }
  v128.store(th + o, t);
  v128.store(w + o, f32x4.div(f32x4.convert_i32x4_s(cnt), f32x4.splat(<f32>hw)));
}

// f32(mean + kSigma·sqrt(Σd²/hw)) for four channels held as two f64x2 halves.
@inline function thresholds(m0: v128, m1: v128, q0: v128, q1: v128, nn: v128, ks: v128): v128 {
  const t0 = f64x2.add(m0, f64x2.mul(ks, f64x2.sqrt(f64x2.div(q0, nn))));
  const t1 = f64x2.add(m1, f64x2.mul(ks, f64x2.sqrt(f64x2.div(q1, nn))));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(t0), f32x4.demote_f64x2_zero(t1), 0, 1, 4, 5);
}

function one(w: usize, th: usize, a: usize, hw: i32, c: i32, k: i32, kSigma: f64): void {
  const stride = <usize>c << 2;
  const o = <usize>k << 2;
  let s: f64 = 0;
  let p = a + o;
  for (let i = 0; i < hw; i++) {
    s += <f64>load<f32>(p);
    p += stride;
  }
  const m = s / <f64>hw;
  let q: f64 = 0;
  p = a + o;
  for (let i = 0; i < hw; i++) {
    const d = <f64>load<f32>(p) - m;
    q += d * d;
    p += stride;
  }
  const t = <f32>(m + kSigma * Math.sqrt(q / <f64>hw));
  let cnt = 0;
  p = a + o;
  for (let i = 0; i < hw; i++) {
    cnt += <i32>(load<f32>(p) > t);
    p += stride;
  }
  store<f32>(th + o, t);
  store<f32>(w + o, <f32>cnt / <f32>hw);
}
