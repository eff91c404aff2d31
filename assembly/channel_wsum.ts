import { hadd } from "./inline/simd";

// Weighted channel sum: out[b][p] = Σ_k w[b][k]·a[b][p][k], then max(·, 0) when relu = 1.
// Rows of A are contiguous, so each output is a dot product streamed with 4 independent
// accumulators over k (hides add latency) and one horizontal add (performance.md §2.1).
export function channel_wsum(out: usize, a: usize, w: usize, n: i32, hw: i32, c: i32, relu: i32): void {
  const row = <usize>c << 2;
  let pa = a;
  let po = out;
  for (let b = 0; b < n; b++) {
    const wb = w + <usize>b * row;
    for (let p = 0; p < hw; p++) {
      const s = dot(pa, wb, c);
      store<f32>(po, relu ? max<f32>(s, 0) : s); // f32.max keeps NaN, like Math.max in the twin
      pa += row;
      po += 4;
    }
  }
}

// Σ_k x[k]·y[k] in f32.
@inline function dot(x: usize, y: usize, c: i32): f32 {
  let k = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; k + 16 <= c; k += 16) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o, 32), v128.load(y + o, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o, 48), v128.load(y + o, 48)));
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    }
    s = hadd(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      s0 += load<f32>(x + o) * load<f32>(y + o);
      s1 += load<f32>(x + o, 4) * load<f32>(y + o, 4);
      s2 += load<f32>(x + o, 8) * load<f32>(y + o, 8);
      s3 += load<f32>(x + o, 12) * load<f32>(y + o, 12);
    }
    s = (s0 + s1) + (s2 + s3);
  }
  for (; k < c; k++) {
    const o = <usize>k << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}
