// Overlay of a [0,1] map (already at image size) onto an RGBA8 image, through a 256-entry RGBA LUT.
// mode 0: integer alpha blend, a = round(opacity·256): out = (lut·a + img·(256−a) + 128) >> 8, alpha from img.
// mode 1: pytorch-grad-cam's show_cam_on_image in float32: t = opacity·lut/255 + (1−opacity)·img/255,
//         out = trunc(255 · t / max(t over all RGB values)), alpha 255. A zero max gives black.
import { lutIndex } from "./lut_index";

export function overlay(out: usize, map: usize, img: usize, n: i32, lut: usize, opacity: f32, mode: i32): void {
  if (mode == 1) showCam(out, map, img, n, lut, opacity);
  else blend(out, map, img, n, lut, opacity);
}

// @ts-ignore: decorator
@inline function alpha256(opacity: f32): u32 {
  const a = <f32>opacity * <f32>256 + <f32>0.5;
  return a >= <f32>256 ? 256 : a > <f32>0 ? <u32>a : 0;
}

function blend(out: usize, map: usize, img: usize, n: i32, lut: usize, opacity: f32): void {
  const a = alpha256(opacity);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const k255 = f32x4.splat(255);
    const max = i32x4.splat(255);
    const zero = i32x4.splat(0);
    const va = i16x8.splat(<i16>a);
    const vb = i16x8.splat(<i16>(256 - a));
    const half = i16x8.splat(128);
    const alphaMask = i32x4.splat(0xff000000);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      // Signed truncation then clamp: lutIndex's semantics (NaN and negatives → 0, ≥ 255 → 255); V8 emits
      // one instruction for trunc_sat_s but a long sequence for trunc_sat_u (performance.md §6.2).
      const idx = i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(map + off), k255)), zero), max);
      let c = i32x4.splat(load<u32>(lut + (<usize>i32x4.extract_lane(idx, 0) << 2)));
      c = i32x4.replace_lane(c, 1, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 1) << 2)));
      c = i32x4.replace_lane(c, 2, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 2) << 2)));
      c = i32x4.replace_lane(c, 3, load<u32>(lut + (<usize>i32x4.extract_lane(idx, 3) << 2)));
      const p = v128.load(img + off);
      // Sums stay ≤ 255·256 + 128 < 2^16, so 16-bit lanes never overflow.
      const lo = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(c), va), i16x8.mul(i16x8.extend_low_i8x16_u(p), vb)), half), 8);
      const hi = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(c), va), i16x8.mul(i16x8.extend_high_i8x16_u(p), vb)), half), 8);
      v128.store(out + off, v128.bitselect(p, i8x16.narrow_i16x8_u(lo, hi), alphaMask));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const lp = lut + (<usize>lutIndex(load<f32>(map + off)) << 2);
    const ip = img + off;
    const o = out + off;
    store<u8>(o, <u8>((<u32>load<u8>(lp) * a + <u32>load<u8>(ip) * (256 - a) + 128) >> 8));
    store<u8>(o, <u8>((<u32>load<u8>(lp, 1) * a + <u32>load<u8>(ip, 1) * (256 - a) + 128) >> 8), 1);
    store<u8>(o, <u8>((<u32>load<u8>(lp, 2) * a + <u32>load<u8>(ip, 2) * (256 - a) + 128) >> 8), 2);
    store<u8>(o, load<u8>(ip, 3), 3);
  }
}

function showCam(out: usize, map: usize, img: usize, n: i32, lut: usize, w: f32): void {
  const v = <f32>1 - w;
  let m: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    // One pixel per vector (R, G, B, A lanes); every lane op is the same IEEE f32 op as the scalar path.
    const inv = f32x4.splat(255);
    const vw = f32x4.splat(w);
    const vv = f32x4.splat(v);
    const rgb = i32x4(-1, -1, -1, 0);
    let vm = f32x4.splat(0);
    for (let i = 0; i < n; i++) {
      const off = <usize>i << 2;
      const t = mix(lut + (<usize>lutIndex(load<f32>(map + off)) << 2), img + off, inv, vw, vv);
      vm = f32x4.max(vm, v128.and(t, rgb));
    }
    m = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), f32x4.extract_lane(vm, 2));
    const vmax = f32x4.splat(m);
    const k255 = f32x4.splat(255);
    for (let i = 0; i < n; i++) {
      const off = <usize>i << 2;
      const t = mix(lut + (<usize>lutIndex(load<f32>(map + off)) << 2), img + off, inv, vw, vv);
      // RGB lanes are in [0, 255] here (t ≤ m), where signed and unsigned truncation agree.
      const q = m > <f32>0 ? i32x4.trunc_sat_f32x4_s(f32x4.mul(f32x4.div(t, vmax), k255)) : i32x4.splat(0);
      store<u32>(out + off, (i32x4.extract_lane(q, 0) & 255) | ((i32x4.extract_lane(q, 1) & 255) << 8) | ((i32x4.extract_lane(q, 2) & 255) << 16) | 0xff000000);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const lp = lut + (<usize>lutIndex(load<f32>(map + off)) << 2);
    for (let c = 0; c < 3; c++) m = max(m, mix1(lp, img + off, c, w, v));
  }
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const lp = lut + (<usize>lutIndex(load<f32>(map + off)) << 2);
    for (let c = 0; c < 3; c++) {
      const q = m > <f32>0 ? <u32>((mix1(lp, img + off, c, w, v) / m) * <f32>255) : 0;
      store<u8>(out + off + c, <u8>min<u32>(q, 255));
    }
    store<u8>(out + off, 255, 3);
  }
}

// @ts-ignore: decorator
@inline function mix(lp: usize, ip: usize, k: v128, w: v128, v: v128): v128 {
  // Bytes widened to i32 are ≥ 0, so the signed convert (one instruction; the unsigned one is emulated) is exact.
  const h = f32x4.div(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(lp)))), k);
  const p = f32x4.div(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(ip)))), k);
  return f32x4.add(f32x4.mul(w, h), f32x4.mul(v, p));
}

// @ts-ignore: decorator
@inline function mix1(lp: usize, ip: usize, c: i32, w: f32, v: f32): f32 {
  return w * (<f32>load<u8>(lp + c) / <f32>255) + v * (<f32>load<u8>(ip + c) / <f32>255);
}
