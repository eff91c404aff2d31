// Guided Grad-CAM: out[p][ch] = gb[p][ch]·cam[p] for RGB-interleaved gb. Four pixels are twelve
// floats = three vectors; the cam lanes are spread to match with shuffles instead of a gather.
export function fuse_guided(out: usize, gb: usize, cam: usize, n: i32, hw: i32): void {
  const len = n * hw;
  let p = 0;
  if (ASC_FEATURE_SIMD) {
    for (; p + 4 <= len; p += 4) {
      const m = v128.load(cam + (<usize>p << 2));
      const o = <usize>p * 12;
      v128.store(out + o, f32x4.mul(v128.load(gb + o), v128.shuffle<f32>(m, m, 0, 0, 0, 1)));
      v128.store(out + o, f32x4.mul(v128.load(gb + o, 16), v128.shuffle<f32>(m, m, 1, 1, 2, 2)), 16);
      v128.store(out + o, f32x4.mul(v128.load(gb + o, 32), v128.shuffle<f32>(m, m, 2, 3, 3, 3)), 32);
    }
  }
  for (; p < len; p++) {
    const m = load<f32>(cam + (<usize>p << 2));
    const o = <usize>p * 12;
    store<f32>(out + o, load<f32>(gb + o) * m);
    store<f32>(out + o, load<f32>(gb + o, 4) * m, 4);
    store<f32>(out + o, load<f32>(gb + o, 8) * m, 8);
  }
}
