// Nearest-neighbour resize of planar maps: src = min(floor(i·in/out), in−1) (PyTorch/captum
// 'nearest'), in exact integer arithmetic. Column indices advance incrementally (no division per
// pixel); an output row whose source row equals the previous one is a plain copy.
export function resize_nearest(out: usize, x: usize, n: i32, ih: i32, iw: i32, oh: i32, ow: i32): void {
  const orow = <usize>ow << 2;
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>b * <usize>ih * <usize>iw << 2);
    const ob = out + (<usize>b * <usize>oh * <usize>ow << 2);
    let prev = -1;
    for (let i = 0; i < oh; i++) {
      const sy = min<i32>(<i32>(<i64>i * <i64>ih / <i64>oh), ih - 1);
      const o = ob + <usize>i * orow;
      if (sy == prev) {
        memory.copy(o, o - orow, orow);
        continue;
      }
      prev = sy;
      const src = xb + (<usize>sy * <usize>iw << 2);
      // j·iw = q·ow + r, kept exactly as j advances.
      let q = 0, r = 0;
      for (let j = 0; j < ow; j++) {
        store<f32>(o + (<usize>j << 2), load<f32>(src + (<usize>min<i32>(q, iw - 1) << 2)));
        r += iw;
        while (r >= ow) {
          r -= ow;
          q++;
        }
      }
    }
  }
}
