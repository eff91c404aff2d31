// Gradient pooling: out[n][k] = mean over the hw positions of g[n][p][k] (NHWC, channel innermost).
//
// Two loop orders, picked by shape (performance.md §2.1): for C ≤ 1024 a column-blocked loop keeps
// 4×4 channels in registers across all rows; for larger C the 4·C-byte row stride thrashes L1 sets,
// so a row-streaming loop accumulates whole rows into `out` instead.
export function pool_mean(out: usize, g: usize, n: i32, hw: i32, c: i32): void {
  const inv: f32 = hw > 0 ? <f32>1.0 / <f32>hw : <f32>0.0;
  const img = <usize>hw * <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const gb = g + <usize>b * img;
    const ob = out + (<usize>b * <usize>c << 2);
    if (c > 1024) poolRows(ob, gb, hw, c, inv);
    else poolColumns(ob, gb, hw, c, inv);
  }
}

function poolColumns(out: usize, g: usize, hw: i32, c: i32, inv: f32): void {
  const stride = <usize>c << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(inv);
    for (; k + 16 <= c; k += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let p = g + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
        a2 = f32x4.add(a2, v128.load(p, 32));
        a3 = f32x4.add(a3, v128.load(p, 48));
        p += stride;
      }
      const o = out + (<usize>k << 2);
      v128.store(o, f32x4.mul(a0, vinv));
      v128.store(o, f32x4.mul(a1, vinv), 16);
      v128.store(o, f32x4.mul(a2, vinv), 32);
      v128.store(o, f32x4.mul(a3, vinv), 48);
    }
    for (; k + 4 <= c; k += 4) {
      let a0 = f32x4.splat(0);
      let p = g + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        a0 = f32x4.add(a0, v128.load(p));
        p += stride;
      }
      v128.store(out + (<usize>k << 2), f32x4.mul(a0, vinv));
    }
  } else {
    for (; k + 4 <= c; k += 4) {
      let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
      let p = g + (<usize>k << 2);
      for (let i = 0; i < hw; i++) {
        a0 += load<f32>(p);
        a1 += load<f32>(p, 4);
        a2 += load<f32>(p, 8);
        a3 += load<f32>(p, 12);
        p += stride;
      }
      const o = out + (<usize>k << 2);
      store<f32>(o, a0 * inv);
      store<f32>(o, a1 * inv, 4);
      store<f32>(o, a2 * inv, 8);
      store<f32>(o, a3 * inv, 12);
    }
  }
  // Tail channels (c % 4, or c % 16 leftovers in scalar form).
  for (; k < c; k++) {
    let a: f32 = 0;
    let p = g + (<usize>k << 2);
    for (let i = 0; i < hw; i++) {
      a += load<f32>(p);
      p += stride;
    }
    store<f32>(out + (<usize>k << 2), a * inv);
  }
}

function poolRows(out: usize, g: usize, hw: i32, c: i32, inv: f32): void {
  memory.fill(out, 0, <usize>c << 2);
  let p = g;
  for (let i = 0; i < hw; i++) {
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
