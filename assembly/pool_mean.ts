// Gradient pooling: out[n][k] = mean over the hw positions of g[n][p][k] (NHWC, channel innermost).
//
// Two loop orders, picked by shape (performance.md §2.1): a row-streaming loop accumulates whole
// rows into `out` (SIMD: up to 256 rows, four per pass; scalar: C > 1024 and ≤ 64 rows, where the
// 4·C-byte row stride thrashes L1 sets); otherwise a column-blocked loop keeps 16 channels in
// registers across all rows.
// Precision: f32 partial sums run over blocks of at most BLOCK rows and are then added in f64, so the
// error grows with BLOCK, not with hw (a plain f32 running sum drifts by ~hw·ε on large maps).
const BLOCK = 64;

export function pool_mean(out: usize, g: usize, n: i32, hw: i32, c: i32): void {
  const inv: f64 = hw > 0 ? 1.0 / <f64>hw : 0.0;
  const img = <usize>hw * <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const gb = g + <usize>b * img;
    const ob = out + (<usize>b * <usize>c << 2);
    // The SIMD row loop adds four rows before each add into the running sum, so up to 4·BLOCK rows
    // still make at most BLOCK running additions (14×14×512: 7.5 → 5.5 µs against the column loop).
    const rows = ASC_FEATURE_SIMD ? hw <= 4 * BLOCK : c > 1024 && hw <= BLOCK;
    if (rows) poolRows(ob, gb, hw, c, <f32>inv);
    else poolColumns(ob, gb, hw, c, inv);
  }
}

function poolColumns(out: usize, g: usize, hw: i32, c: i32, inv: f64): void {
  const stride = <usize>c << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    // 16 channels (one 64-byte line per row) per pass, so every line is used whole when it is loaded:
    // with a 2 KiB row stride (C = 512) only two L1 sets hold the column, and a half-used line would be
    // evicted before the next pass came back for its other half.
    const vinv = f64x2.splat(inv);
    for (; k + 16 <= c; k += 16) {
      let t0 = f64x2.splat(0), t1 = f64x2.splat(0), t2 = f64x2.splat(0), t3 = f64x2.splat(0);
      let t4 = f64x2.splat(0), t5 = f64x2.splat(0), t6 = f64x2.splat(0), t7 = f64x2.splat(0);
      let p = g + (<usize>k << 2);
      for (let i0 = 0; i0 < hw; i0 += BLOCK) {
        const i1 = min(hw, i0 + BLOCK);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let i = i0; i < i1; i++) {
          a0 = f32x4.add(a0, v128.load(p));
          a1 = f32x4.add(a1, v128.load(p, 16));
          a2 = f32x4.add(a2, v128.load(p, 32));
          a3 = f32x4.add(a3, v128.load(p, 48));
          p += stride;
        }
        t0 = f64x2.add(t0, f64x2.promote_low_f32x4(a0));
        t1 = f64x2.add(t1, f64x2.promote_low_f32x4(v128.shuffle<u32>(a0, a0, 2, 3, 0, 1)));
        t2 = f64x2.add(t2, f64x2.promote_low_f32x4(a1));
        t3 = f64x2.add(t3, f64x2.promote_low_f32x4(v128.shuffle<u32>(a1, a1, 2, 3, 0, 1)));
        t4 = f64x2.add(t4, f64x2.promote_low_f32x4(a2));
        t5 = f64x2.add(t5, f64x2.promote_low_f32x4(v128.shuffle<u32>(a2, a2, 2, 3, 0, 1)));
        t6 = f64x2.add(t6, f64x2.promote_low_f32x4(a3));
        t7 = f64x2.add(t7, f64x2.promote_low_f32x4(v128.shuffle<u32>(a3, a3, 2, 3, 0, 1)));
      }
      const o = out + (<usize>k << 2);
      v128.store(o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(f64x2.mul(t0, vinv)), f32x4.demote_f64x2_zero(f64x2.mul(t1, vinv)), 0, 1, 4, 5));
      v128.store(o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(f64x2.mul(t2, vinv)), f32x4.demote_f64x2_zero(f64x2.mul(t3, vinv)), 0, 1, 4, 5), 16);
      v128.store(o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(f64x2.mul(t4, vinv)), f32x4.demote_f64x2_zero(f64x2.mul(t5, vinv)), 0, 1, 4, 5), 32);
      v128.store(o, v128.shuffle<u32>(f32x4.demote_f64x2_zero(f64x2.mul(t6, vinv)), f32x4.demote_f64x2_zero(f64x2.mul(t7, vinv)), 0, 1, 4, 5), 48);
    }
    // Remaining groups of four channels, one vector per row.
    for (; k + 4 <= c; k += 4) {
      let t0 = f64x2.splat(0), t1 = f64x2.splat(0);
      let p = g + (<usize>k << 2);
      for (let i0 = 0; i0 < hw; i0 += BLOCK) {
        const i1 = min(hw, i0 + BLOCK);
        let a0 = f32x4.splat(0);
        for (let i = i0; i < i1; i++) {
          a0 = f32x4.add(a0, v128.load(p));
          p += stride;
        }
        t0 = f64x2.add(t0, f64x2.promote_low_f32x4(a0));
        t1 = f64x2.add(t1, f64x2.promote_low_f32x4(v128.shuffle<u32>(a0, a0, 2, 3, 0, 1)));
      }
      v128.store(out + (<usize>k << 2), v128.shuffle<u32>(f32x4.demote_f64x2_zero(f64x2.mul(t0, vinv)), f32x4.demote_f64x2_zero(f64x2.mul(t1, vinv)), 0, 1, 4, 5));
    }
  } else {
    for (; k + 4 <= c; k += 4) {
      let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0;
      let p = g + (<usize>k << 2);
      for (let i0 = 0; i0 < hw; i0 += BLOCK) {
        const i1 = min(hw, i0 + BLOCK);
        let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
        for (let i = i0; i < i1; i++) {
          a0 += load<f32>(p);
          a1 += load<f32>(p, 4);
          a2 += load<f32>(p, 8);
          a3 += load<f32>(p, 12);
          p += stride;
        }
        t0 += <f64>a0; t1 += <f64>a1; t2 += <f64>a2; t3 += <f64>a3;
      }
      const o = out + (<usize>k << 2);
      store<f32>(o, <f32>(t0 * inv));
      store<f32>(o, <f32>(t1 * inv), 4);
      store<f32>(o, <f32>(t2 * inv), 8);
      store<f32>(o, <f32>(t3 * inv), 12);
    }
  }
  // Tail channels (c % 4).
  for (; k < c; k++) {
    let t: f64 = 0;
    let p = g + (<usize>k << 2);
    for (let i0 = 0; i0 < hw; i0 += BLOCK) {
      const i1 = min(hw, i0 + BLOCK);
      let a: f32 = 0;
      for (let i = i0; i < i1; i++) {
        a += load<f32>(p);
        p += stride;
      }
      t += <f64>a;
    }
    store<f32>(out + (<usize>k << 2), <f32>(t * inv));
  }
}

// Only for at most BLOCK additions into the f32 running sum in `out` (hw ≤ BLOCK, or ≤ 4·BLOCK in SIMD).
function poolRows(out: usize, g: usize, hw: i32, c: i32, inv: f32): void {
  memory.fill(out, 0, <usize>c << 2);
  let p = g;
  const stride = <usize>c << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Four rows per pass over `out`: one load-add-store of the running sum per four rows, so the
    // loop is bound by loads instead of by one store per row (7×7×2048: ~1.5× faster).
    for (; i + 4 <= hw; i += 4) {
      let k = 0;
      for (; k + 4 <= c; k += 4) {
        const o = out + (<usize>k << 2);
        const q = p + (<usize>k << 2);
        const r = f32x4.add(f32x4.add(v128.load(q), v128.load(q + stride)), f32x4.add(v128.load(q + 2 * stride), v128.load(q + 3 * stride)));
        v128.store(o, f32x4.add(v128.load(o), r));
      }
      for (; k < c; k++) {
        const o = out + (<usize>k << 2);
        const q = p + (<usize>k << 2);
        store<f32>(o, load<f32>(o) + ((load<f32>(q) + load<f32>(q + stride)) + (load<f32>(q + 2 * stride) + load<f32>(q + 3 * stride))));
      }
      p += stride << 2;
    }
  }
  for (; i < hw; i++) {
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= c; k += 4) {
        const o = out + (<usize>k << 2);
        v128.store(o, f32x4.add(v128.load(o), v128.load(p + (<usize>k << 2))));
      }
    }
    for (; k < c; k++) {
      const o = out + (<usize>k << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p + (<usize>k << 2)));
    }
    p += <usize>c << 2;
  }
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(inv);
    for (; k + 4 <= c; k += 4) {
      const o = out + (<usize>k << 2);
      v128.store(o, f32x4.mul(v128.load(o), vinv));
    }
  }
  for (; k < c; k++) {
    const o = out + (<usize>k << 2);
    store<f32>(o, load<f32>(o) * inv);
  }
}
