import { promoteHigh } from "./inline/simd";

// XGrad-CAM weights: out[b][k] = Σ_p g·a / (Σ_p a + 1e-7); tmp[k] receives Σ_p a.
// Both sums accumulate in f64, column by column in position order (products of two f32 are exact
// in f64), exactly as the twin does, so every flavor gives the same bits.
export function xgrad_weights(out: usize, g: usize, a: usize, tmp: usize, n: i32, hw: i32, c: i32): void {
  const img = <usize>hw * <usize>c << 2;
  const stride = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const gb = g + <usize>b * img;
    const ab = a + <usize>b * img;
    const ob = out + (<usize>b * <usize>c << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= c; k += 4) {
        let sa0 = f64x2.splat(0), sa1 = f64x2.splat(0), sg0 = f64x2.splat(0), sg1 = f64x2.splat(0);
        const off = <usize>k << 2;
        let pg = gb + off, pa = ab + off;
        for (let i = 0; i < hw; i++) {
          const av = v128.load(pa), gv = v128.load(pg);
          const a0 = f64x2.promote_low_f32x4(av), a1 = promoteHigh(av);
          sa0 = f64x2.add(sa0, a0);
          sa1 = f64x2.add(sa1, a1);
          sg0 = f64x2.add(sg0, f64x2.mul(f64x2.promote_low_f32x4(gv), a0));
          sg1 = f64x2.add(sg1, f64x2.mul(promoteHigh(gv), a1));
          pg += stride;
          pa += stride;
        }
        const eps = f64x2.splat(1e-7);
        const w0 = f32x4.demote_f64x2_zero(f64x2.div(sg0, f64x2.add(sa0, eps)));
        const w1 = f32x4.demote_f64x2_zero(f64x2.div(sg1, f64x2.add(sa1, eps)));
        v128.store(ob + off, v128.shuffle<f32>(w0, w1, 0, 1, 4, 5));
        v128.store(tmp + off, v128.shuffle<f32>(f32x4.demote_f64x2_zero(sa0), f32x4.demote_f64x2_zero(sa1), 0, 1, 4, 5));
      }
    } else {
      // Scalar build: four channels per walk down the rows (a quarter of the strided cache misses).
      for (; k + 4 <= c; k += 4) {
        let sa0: f64 = 0, sa1: f64 = 0, sa2: f64 = 0, sa3: f64 = 0;
        let sg0: f64 = 0, sg1: f64 = 0, sg2: f64 = 0, sg3: f64 = 0;
        const off = <usize>k << 2;
        let pg = gb + off, pa = ab + off;
        for (let i = 0; i < hw; i++) {
          const a0 = <f64>load<f32>(pa), a1 = <f64>load<f32>(pa, 4), a2 = <f64>load<f32>(pa, 8), a3 = <f64>load<f32>(pa, 12);
          sa0 += a0; sa1 += a1; sa2 += a2; sa3 += a3;
          sg0 += <f64>load<f32>(pg) * a0;
          sg1 += <f64>load<f32>(pg, 4) * a1;
          sg2 += <f64>load<f32>(pg, 8) * a2;
          sg3 += <f64>load<f32>(pg, 12) * a3;
          pg += stride;
          pa += stride;
        }
        store<f32>(tmp + off, <f32>sa0); store<f32>(tmp + off, <f32>sa1, 4); store<f32>(tmp + off, <f32>sa2, 8); store<f32>(tmp + off, <f32>sa3, 12);
        store<f32>(ob + off, <f32>(sg0 / (sa0 + 1e-7)));
        store<f32>(ob + off, <f32>(sg1 / (sa1 + 1e-7)), 4);
        store<f32>(ob + off, <f32>(sg2 / (sa2 + 1e-7)), 8);
        store<f32>(ob + off, <f32>(sg3 / (sa3 + 1e-7)), 12);
      }
    }
    for (; k < c; k++) {
      let sa: f64 = 0, sg: f64 = 0;
      const off = <usize>k << 2;
      let pg = gb + off, pa = ab + off;
      for (let i = 0; i < hw; i++) {
        const av = <f64>load<f32>(pa);
        sa += av;
        sg += <f64>load<f32>(pg) * av;
        pg += stride;
        pa += stride;
      }
      store<f32>(tmp + off, <f32>sa);
      store<f32>(ob + off, <f32>(sg / (sa + 1e-7)));
    }
  }
}
