// Colormap: out[i] (RGBA8) = lut[index(map[i])], lut = 256 RGBA entries.
// index(v) = trunc(f32(v·255)) clamped to [0, 255], NaN → 0: the same index as pytorch-grad-cam's
// np.uint8(255 * mask) for v in [0, 1], made explicit outside it.
import { lutIndex } from "./lut_index";

export function colormap(out: usize, map: usize, n: i32, lut: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const k255 = f32x4.splat(255);
    const max = i32x4.splat(255);
    for (; i + 4 <= n; i += 4) {
      // trunc_sat sends NaN and negatives to 0 and +Inf to 2^32−1, so one unsigned min clamps.
      const idx = i32x4.min_u(i32x4.trunc_sat_f32x4_u(f32x4.mul(v128.load(map + (<usize>i << 2)), k255)), max);
      const o = out + (<usize>i << 2);
      store<u32>(o, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 0) << 2)));
      store<u32>(o, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 1) << 2)), 4);
      store<u32>(o, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 2) << 2)), 8);
      store<u32>(o, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 3) << 2)), 12);
    }
  }
  for (; i < n; i++) {
    store<u32>(out + (<usize>i << 2), load<u32>(lut + (<usize>lutIndex(load<f32>(map + (<usize>i << 2))) << 2)));
  }
}
