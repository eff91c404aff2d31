// resize_bilinear then minmax_normalize, fused into one pass over the output (the resized map is
// never written unscaled and read back twice).
// The exact min and max of a resized map are known before it is written: within one pair of tmp rows
// (one source-row segment) a resized value fl(t + fl(d·f)) is monotone in f, and f grows with the
// output row, so each segment's extremes lie on its first or last output row. Those ≤ 2·ih rows are
// evaluated and reduced; then every row is written as (v − lo)·r with r = f32(1/s), s the
// minmax_normalize denominator. The reciprocal differs from its division by ≤ 1 ulp; the minimum
// stays exactly 0 and the maximum ≤ 1 (x·f32(1/x) ≤ 1 for every f32 x, checked exhaustively).
// tmp holds 2·(ih + 1)·ow + 2·oh floats: the horizontally resized rows T, the row differences
// D = T[y+1] − T[y], the column taps (ow lower taps, ow weights), then the row taps (oh, oh).
import { computeTaps, horizontalPassSimd } from "./inline/bilinear";

export function resize_bilinear_minmax(
  out: usize, x: usize, tmp: usize, n: i32, ih: i32, iw: i32, oh: i32, ow: i32, alignCorners: i32, eps: f64,
): void {
  const trow = <usize>ow << 2;
  const diff = tmp + <usize>ih * trow;
  // Taps once per call (f64 divisions), shared by every map.
  const cols = diff + <usize>ih * trow;
  const rows = cols + (<usize>ow << 3);
  const rowF = rows + (<usize>oh << 2);
  computeTaps(cols, iw, ow, alignCorners);
  computeTaps(rows, ih, oh, alignCorners);
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>b * <usize>ih * <usize>iw << 2);
    const ob = out + (<usize>b * <usize>oh * <usize>ow << 2);
    horizontalPassSimd(tmp, xb, ih, iw, ow, cols);
    for (let y = 0; y < ih; y++) {
      const t = tmp + <usize>y * trow;
      rowDiff(diff + <usize>y * trow, t, y + 1 < ih ? t + trow : t, ow);
    }
    // The exact extremes, from the first and last output row of every segment.
    lo = Infinity;
    hi = -Infinity;
    nan = false;
    for (let i = 0; i < oh; i++) {
      const y = load<i32>(rows + (<usize>i << 2));
      const first = i == 0 || load<i32>(rows + (<usize>(i - 1) << 2)) != y;
      const last = i + 1 == oh || load<i32>(rows + (<usize>(i + 1) << 2)) != y;
      if (first || last) rowExtremes(tmp + <usize>y * trow, diff + <usize>y * trow, ow, load<f32>(rowF + (<usize>i << 2)));
    }
    let l = lo, h = hi;
    if (nan) l = h = NaN;
    // As minmax_normalize: +0 for ±0 ties, the denominator formed in f64 and rounded to f32.
    l += 0;
    h += 0;
    const d = <f32>(eps + <f64>(h - l));
    if (d == 0) {
      memory.fill(ob, 0, <usize>oh * trow);
      continue;
    }
    const r = <f32>(1.0 / <f64>d);
    for (let i = 0; i < oh; i++) {
      const y = load<i32>(rows + (<usize>i << 2));
      scaledRow(ob + <usize>i * trow, tmp + <usize>y * trow, diff + <usize>y * trow, ow, load<f32>(rowF + (<usize>i << 2)), l, r);
    }
  }
}

// Running extremes of the rows reduced so far (module state keeps rowExtremes a plain loop).
let lo: f32 = Infinity;
let hi: f32 = -Infinity;
let nan = false;

// d[j] = u[j] − t[j].
function rowDiff(d: usize, t: usize, u: usize, ow: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= ow; j += 4) {
      const q = <usize>j << 2;
      v128.store(d + q, f32x4.sub(v128.load(u + q), v128.load(t + q)));
    }
  }
  for (; j < ow; j++) {
    const q = <usize>j << 2;
    store<f32>(d + q, load<f32>(u + q) - load<f32>(t + q));
  }
}

// lo/hi/nan updated with t[j] + d[j]·f over one row.
function rowExtremes(t: usize, d: usize, ow: i32, f: f32): void {
  let j = 0;
  let l = lo, h = hi;
  if (ASC_FEATURE_SIMD) {
    if (ow >= 4) {
      // pmin/pmax are one instruction each; NaN is tracked on the side (as in minmax_normalize).
      const vf = f32x4.splat(f);
      let vlo = f32x4.splat(Infinity), vhi = f32x4.splat(-Infinity), vnan = i32x4.splat(0);
      for (; j + 4 <= ow; j += 4) {
        const q = <usize>j << 2;
        const v = f32x4.add(v128.load(t + q), f32x4.mul(v128.load(d + q), vf));
        vlo = f32x4.pmin(vlo, v);
        vhi = f32x4.pmax(vhi, v);
        vnan = v128.or(vnan, f32x4.ne(v, v));
      }
      l = min<f32>(l, min<f32>(min<f32>(f32x4.extract_lane(vlo, 0), f32x4.extract_lane(vlo, 1)), min<f32>(f32x4.extract_lane(vlo, 2), f32x4.extract_lane(vlo, 3))));
      h = max<f32>(h, max<f32>(max<f32>(f32x4.extract_lane(vhi, 0), f32x4.extract_lane(vhi, 1)), max<f32>(f32x4.extract_lane(vhi, 2), f32x4.extract_lane(vhi, 3))));
      if (v128.any_true(vnan)) nan = true;
    }
  }
  for (; j < ow; j++) {
    const q = <usize>j << 2;
    const v = load<f32>(t + q) + load<f32>(d + q) * f;
    l = min<f32>(l, v); // f32.min/max propagate NaN in the scalar build
    h = max<f32>(h, v);
  }
  lo = l;
  hi = h;
}

// o[j] = (t[j] + d[j]·f − lo)·r. Four vectors per iteration: V8 adds a stack check and register
// reloads to every loop iteration, which halved the throughput of a one-vector loop.
function scaledRow(o: usize, t: usize, d: usize, ow: i32, f: f32, lo: f32, r: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vf = f32x4.splat(f), vlo = f32x4.splat(lo), vr = f32x4.splat(r);
    for (; j + 16 <= ow; j += 16) {
      const q = <usize>j << 2;
      const a0 = v128.load(t + q), a1 = v128.load(t + q, 16), a2 = v128.load(t + q, 32), a3 = v128.load(t + q, 48);
      const d0 = v128.load(d + q), d1 = v128.load(d + q, 16), d2 = v128.load(d + q, 32), d3 = v128.load(d + q, 48);
      v128.store(o + q, f32x4.mul(f32x4.sub(f32x4.add(a0, f32x4.mul(d0, vf)), vlo), vr));
      v128.store(o + q, f32x4.mul(f32x4.sub(f32x4.add(a1, f32x4.mul(d1, vf)), vlo), vr), 16);
      v128.store(o + q, f32x4.mul(f32x4.sub(f32x4.add(a2, f32x4.mul(d2, vf)), vlo), vr), 32);
      v128.store(o + q, f32x4.mul(f32x4.sub(f32x4.add(a3, f32x4.mul(d3, vf)), vlo), vr), 48);
    }
    for (; j + 4 <= ow; j += 4) {
      const q = <usize>j << 2;
      v128.store(o + q, f32x4.mul(f32x4.sub(f32x4.add(v128.load(t + q), f32x4.mul(v128.load(d + q), vf)), vlo), vr));
    }
  }
  for (; j < ow; j++) {
    const q = <usize>j << 2;
    store<f32>(o + q, (load<f32>(t + q) + load<f32>(d + q) * f - lo) * r);
  }
}
