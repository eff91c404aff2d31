import { hadd, relu32 } from "./inline/simd";

// Element-wise gradient × activation, summed over channels (one contiguous row per position):
// mode 0: Σ g·a (HiResCAM); 1: Σ relu(g·a) (Grad-CAM ElementWise); 2: Σ relu(g)·a (Layer-CAM).
// The mode is dispatched once per call so each inner loop is branch-free.
export function channel_reduce(out: usize, g: usize, a: usize, n: i32, hw: i32, c: i32, mode: i32): void {
  const rows = n * hw;
  const row = <usize>c << 2;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * row;
    let s: f32;
    if (mode == 1) s = reduce1(g + off, a + off, c);
    else if (mode == 2) s = reduce2(g + off, a + off, c);
    else s = reduce0(g + off, a + off, c);
    store<f32>(out + (<usize>i << 2), s);
  }
}

function reduce0(g: usize, a: usize, c: i32): f32 {
  let k = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; k + 8 <= c; k += 8) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(g + o), v128.load(a + o)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(g + o, 16), v128.load(a + o, 16)));
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(g + o), v128.load(a + o)));
    }
    s = hadd(f32x4.add(a0, a1));
  }
  for (; k < c; k++) {
    const o = <usize>k << 2;
    s += load<f32>(g + o) * load<f32>(a + o);
  }
  return s;
}

function reduce1(g: usize, a: usize, c: i32): f32 {
  let k = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; k + 8 <= c; k += 8) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.max(f32x4.mul(v128.load(g + o), v128.load(a + o)), z));
      a1 = f32x4.add(a1, f32x4.max(f32x4.mul(v128.load(g + o, 16), v128.load(a + o, 16)), z));
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.max(f32x4.mul(v128.load(g + o), v128.load(a + o)), z));
    }
    s = hadd(f32x4.add(a0, a1));
  }
  for (; k < c; k++) {
    const o = <usize>k << 2;
    s += relu32(load<f32>(g + o) * load<f32>(a + o));
  }
  return s;
}

function reduce2(g: usize, a: usize, c: i32): f32 {
  let k = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (; k + 8 <= c; k += 8) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(f32x4.max(v128.load(g + o), z), v128.load(a + o)));
      a1 = f32x4.add(a1, f32x4.mul(f32x4.max(v128.load(g + o, 16), z), v128.load(a + o, 16)));
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(f32x4.max(v128.load(g + o), z), v128.load(a + o)));
    }
    s = hadd(f32x4.add(a0, a1));
  }
  for (; k < c; k++) {
    const o = <usize>k << 2;
    s += relu32(load<f32>(g + o)) * load<f32>(a + o);
  }
  return s;
}
