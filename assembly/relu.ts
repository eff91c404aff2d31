import { relu32 } from "./inline/simd";

// out[i] = max(x[i], 0); out may alias x (each element is read before it is written).
// f32.max / f32x4.max propagate NaN and give +0 for max(-0, 0), exactly as Math.max in the twin.
export function relu(out: usize, x: usize, len: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.max(v128.load(x + o), z));
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, relu32(load<f32>(x + o)));
  }
}
