import { hadd } from "./inline/simd";

// FullGrad's per-layer saliency for n images, NHWC g[n][hw][c]:
//   t[p][k]   = |g[p][k]·s[k]|  (elementwise = 0: s[c] is a per-channel scale, the layer's bias)
//             = |g[p][k]·s[p][k]| (elementwise = 1: s[n][hw][c], e.g. the input image)
//   out[b][p] = Σ_k (t[p][k] − min_k)·r_k,  r_k = 1/f32(1e-7 + (max_k − min_k))
// i.e. each channel min-max normalised on its own (pytorch-grad-cam's scale_accross_batch_and_channels,
// before its resize), then summed over channels. tmp[2c] is scratch (per-channel min, then r).
// Products, the normalisation and the sums are f32; the sums run in another order per flavor.
// NaN anywhere in a channel makes every output of that image NaN.
export function fullgrad_map(out: usize, g: usize, s: usize, tmp: usize, n: i32, hw: i32, c: i32, elementwise: i32): void {
  if (hw <= 0) return;
  if (c <= 0) {
    memory.fill(out, 0, <usize>n * <usize>hw << 2);
    return;
  }
  const img = <usize>hw * <usize>c << 2;
  const mn = tmp, r = tmp + (<usize>c << 2);
  for (let b = 0; b < n; b++) {
    const gb = g + <usize>b * img;
    const sb = elementwise ? s + <usize>b * img : s;
    const ob = out + (<usize>b * <usize>hw << 2);
    if (ASC_FEATURE_SIMD) {
      if (c == 3 && elementwise) {
        rgb(ob, gb, sb, mn, hw);
        continue;
      }
    }
    ranges(gb, sb, mn, r, hw, c, elementwise);
    sums(ob, gb, sb, mn, r, hw, c, elementwise);
  }
}

// |g·s| for one element.
@inline function term(g: usize, s: usize): f32 {
  return abs<f32>(load<f32>(g) * load<f32>(s));
}

// Per-channel min into mn[k] and max into r[k], then r[k] = 1/f32(1e-7 + (max − min)).
function ranges(g: usize, s: usize, mn: usize, r: usize, hw: i32, c: i32, elementwise: i32): void {
  const row = <usize>c << 2;
  const sstep: usize = elementwise ? row : 0;
  for (let k = 0; k < c; k++) {
    store<f32>(mn + (<usize>k << 2), Infinity);
    store<f32>(r + (<usize>k << 2), -Infinity);
  }
  let pg = g, ps = s;
  for (let p = 0; p < hw; p++) {
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= c; k += 4) {
        const o = <usize>k << 2;
        const t = f32x4.abs(f32x4.mul(v128.load(pg + o), v128.load(ps + o)));
        v128.store(mn + o, f32x4.min(v128.load(mn + o), t));
        v128.store(r + o, f32x4.max(v128.load(r + o), t));
      }
    }
    for (; k < c; k++) {
      const o = <usize>k << 2;
      const t = term(pg + o, ps + o);
      store<f32>(mn + o, min<f32>(load<f32>(mn + o), t));
      store<f32>(r + o, max<f32>(load<f32>(r + o), t));
    }
    pg += row;
    ps += sstep;
  }
  for (let k = 0; k < c; k++) {
    const o = <usize>k << 2;
    store<f32>(r + o, <f32>1 / <f32>(1e-7 + <f64>(load<f32>(r + o) - load<f32>(mn + o))));
  }
}

function sums(out: usize, g: usize, s: usize, mn: usize, r: usize, hw: i32, c: i32, elementwise: i32): void {
  const row = <usize>c << 2;
  const sstep: usize = elementwise ? row : 0;
  let pg = g, ps = s;
  for (let p = 0; p < hw; p++) {
    let k = 0;
    let acc: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      for (; k + 8 <= c; k += 8) {
        const o = <usize>k << 2;
        const t0 = f32x4.abs(f32x4.mul(v128.load(pg + o), v128.load(ps + o)));
        const t1 = f32x4.abs(f32x4.mul(v128.load(pg + o, 16), v128.load(ps + o, 16)));
        a0 = f32x4.add(a0, f32x4.mul(f32x4.sub(t0, v128.load(mn + o)), v128.load(r + o)));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.sub(t1, v128.load(mn + o, 16)), v128.load(r + o, 16)));
      }
      for (; k + 4 <= c; k += 4) {
        const o = <usize>k << 2;
        const t = f32x4.abs(f32x4.mul(v128.load(pg + o), v128.load(ps + o)));
        a0 = f32x4.add(a0, f32x4.mul(f32x4.sub(t, v128.load(mn + o)), v128.load(r + o)));
      }
      acc = hadd(f32x4.add(a0, a1));
    }
    for (; k < c; k++) {
      const o = <usize>k << 2;
      acc += (term(pg + o, ps + o) - load<f32>(mn + o)) * load<f32>(r + o);
    }
    store<f32>(out + (<usize>p << 2), acc);
    pg += row;
    ps += sstep;
  }
}

// Three interleaved channels with an elementwise multiplier (the input-image term): four pixels are
// three vectors whose lanes hold channels [0 1 2 0] [1 2 0 1] [2 0 1 2].
function rgb(out: usize, g: usize, s: usize, mn: usize, hw: i32): void {
  const len = hw * 3;
  const full = (hw >> 2) * 12;
  let lo0 = f32x4.splat(Infinity), lo1 = lo0, lo2 = lo0;
  let hi0 = f32x4.splat(-Infinity), hi1 = hi0, hi2 = hi0;
  for (let i = 0; i < full; i += 12) {
    const o = <usize>i << 2;
    const t0 = f32x4.abs(f32x4.mul(v128.load(g + o), v128.load(s + o)));
    const t1 = f32x4.abs(f32x4.mul(v128.load(g + o, 16), v128.load(s + o, 16)));
    const t2 = f32x4.abs(f32x4.mul(v128.load(g + o, 32), v128.load(s + o, 32)));
    lo0 = f32x4.min(lo0, t0); hi0 = f32x4.max(hi0, t0);
    lo1 = f32x4.min(lo1, t1); hi1 = f32x4.max(hi1, t1);
    lo2 = f32x4.min(lo2, t2); hi2 = f32x4.max(hi2, t2);
  }
  // Fold the lanes back to channels: channel q sits in lanes {v0: q, q+3}, {v1: (q+2)%3 …}, see above.
  let m0 = min<f32>(min<f32>(f32x4.extract_lane(lo0, 0), f32x4.extract_lane(lo0, 3)), min<f32>(f32x4.extract_lane(lo1, 2), f32x4.extract_lane(lo2, 1)));
  let m1 = min<f32>(min<f32>(f32x4.extract_lane(lo0, 1), f32x4.extract_lane(lo1, 0)), min<f32>(f32x4.extract_lane(lo1, 3), f32x4.extract_lane(lo2, 2)));
  let m2 = min<f32>(min<f32>(f32x4.extract_lane(lo0, 2), f32x4.extract_lane(lo1, 1)), min<f32>(f32x4.extract_lane(lo2, 0), f32x4.extract_lane(lo2, 3)));
  let x0 = max<f32>(max<f32>(f32x4.extract_lane(hi0, 0), f32x4.extract_lane(hi0, 3)), max<f32>(f32x4.extract_lane(hi1, 2), f32x4.extract_lane(hi2, 1)));
  let x1 = max<f32>(max<f32>(f32x4.extract_lane(hi0, 1), f32x4.extract_lane(hi1, 0)), max<f32>(f32x4.extract_lane(hi1, 3), f32x4.extract_lane(hi2, 2)));
  let x2 = max<f32>(max<f32>(f32x4.extract_lane(hi0, 2), f32x4.extract_lane(hi1, 1)), max<f32>(f32x4.extract_lane(hi2, 0), f32x4.extract_lane(hi2, 3)));
  for (let i = full; i < len; i += 3) {
    const o = <usize>i << 2;
    const t0 = term(g + o, s + o), t1 = term(g + o + 4, s + o + 4), t2 = term(g + o + 8, s + o + 8);
    m0 = min<f32>(m0, t0); x0 = max<f32>(x0, t0);
    m1 = min<f32>(m1, t1); x1 = max<f32>(x1, t1);
    m2 = min<f32>(m2, t2); x2 = max<f32>(x2, t2);
  }
  const r0 = <f32>1 / <f32>(1e-7 + <f64>(x0 - m0));
  const r1 = <f32>1 / <f32>(1e-7 + <f64>(x1 - m1));
  const r2 = <f32>1 / <f32>(1e-7 + <f64>(x2 - m2));
  // Same scratch layout as the generic path: min[3], then r[3].
  store<f32>(mn, m0); store<f32>(mn, m1, 4); store<f32>(mn, m2, 8);
  store<f32>(mn, r0, 12); store<f32>(mn, r1, 16); store<f32>(mn, r2, 20);
  const M0 = f32x4(m0, m1, m2, m0), M1 = f32x4(m1, m2, m0, m1), M2 = f32x4(m2, m0, m1, m2);
  const R0 = f32x4(r0, r1, r2, r0), R1 = f32x4(r1, r2, r0, r1), R2 = f32x4(r2, r0, r1, r2);
  let j = 0;
  for (let i = 0; i < full; i += 12) {
    const o = <usize>i << 2;
    const n0 = f32x4.mul(f32x4.sub(f32x4.abs(f32x4.mul(v128.load(g + o), v128.load(s + o))), M0), R0);
    const n1 = f32x4.mul(f32x4.sub(f32x4.abs(f32x4.mul(v128.load(g + o, 16), v128.load(s + o, 16))), M1), R1);
    const n2 = f32x4.mul(f32x4.sub(f32x4.abs(f32x4.mul(v128.load(g + o, 32), v128.load(s + o, 32))), M2), R2);
    // Pixel sums in channel order: [n0.0 n0.3 n1.2 n2.1] + [n0.1 n1.0 n1.3 n2.2] + [n0.2 n1.1 n2.0 n2.3].
    const a = v128.shuffle<f32>(v128.shuffle<f32>(n0, n1, 0, 3, 6, 6), n2, 0, 1, 2, 5);
    const b = v128.shuffle<f32>(v128.shuffle<f32>(n0, n1, 1, 4, 7, 7), n2, 0, 1, 2, 6);
    const c = v128.shuffle<f32>(v128.shuffle<f32>(n0, n1, 2, 5, 5, 5), n2, 0, 1, 4, 7);
    v128.store(out + (<usize>j << 2), f32x4.add(f32x4.add(a, b), c));
    j += 4;
  }
  for (let i = full; i < len; i += 3) {
    const o = <usize>i << 2;
    const v = (term(g + o, s + o) - m0) * r0 + (term(g + o + 4, s + o + 4) - m1) * r1;
    store<f32>(out + (<usize>j << 2), v + (term(g + o + 8, s + o + 8) - m2) * r2);
    j++;
  }
}
