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
    // Static scratch below __heap_base (the JS arena starts above it): the premultiplied LUT, rebuilt
    // per call, four u16 lanes per entry (R·a + 128, G·a + 128, B·a + 128, 128); and 16 LUT indices.
    const pre = memory.data(256 * 8, 16);
    const ks = memory.data(16, 16);
    if (n >= 16) {
      // The alpha lane gets weight 0 here and 256 on the image side: (128 + img·256) >> 8 = img alpha,
      // so no select is needed. Every sum is ≤ 255·256 + 128 < 2^16: u16 lanes never overflow.
      const va = i16x8(<i16>a, <i16>a, <i16>a, 0, <i16>a, <i16>a, <i16>a, 0);
      const half = i16x8.splat(128);
      for (let k: usize = 0; k < 256; k++) {
        v128.store64_lane(pre + (k << 3), i16x8.add(i16x8.mul(v128.load8x8_u(lut + (k << 2)), va), half), 0);
      }
    }
    const b = <i16>(256 - a);
    const vb = i16x8(b, b, b, 256, b, b, b, 256);
    const k255 = f32x4.splat(255);
    for (; i + 16 <= n; i += 16) {
      const off = <usize>i << 2;
      const m = map + off;
      // 16 LUT indices in one vector: trunc_sat_s sends NaN to 0, negatives stay negative and +Inf
      // saturates, then the saturating narrows clamp to [0, 255]: exactly lutIndex.
      const q = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(m), k255)), i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(m, 16), k255))),
        i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(m, 32), k255)), i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(m, 48), k255))),
      );
      const o = out + off;
      const p = img + off;
      // The indices come back as byte loads: 16 × i8x16.extract_lane_u (pextrb in V8) made the loop
      // ~15% slower than this store and 16 scalar loads.
      v128.store(ks, q);
      blend4(o, p, pre, load<u8>(ks, 0), load<u8>(ks, 1), load<u8>(ks, 2), load<u8>(ks, 3), vb);
      blend4(o + 16, p + 16, pre, load<u8>(ks, 4), load<u8>(ks, 5), load<u8>(ks, 6), load<u8>(ks, 7), vb);
      blend4(o + 32, p + 32, pre, load<u8>(ks, 8), load<u8>(ks, 9), load<u8>(ks, 10), load<u8>(ks, 11), vb);
      blend4(o + 48, p + 48, pre, load<u8>(ks, 12), load<u8>(ks, 13), load<u8>(ks, 14), load<u8>(ks, 15), vb);
    }
  }
  // Tail of < 16 pixels (and the whole scalar build): the same integer formula per channel.
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

// Four pixels: premultiplied LUT entries k0..k3 (two per vector) + image·vb, >> 8, narrowed to RGBA8.
// @ts-ignore: decorator
@inline function blend4(o: usize, p: usize, pre: usize, k0: u32, k1: u32, k2: u32, k3: u32, vb: v128): void {
  const px = v128.load(p);
  const c01 = v128.load64_lane(pre + (<usize>k1 << 3), v128.load64_zero(pre + (<usize>k0 << 3)), 1);
  const c23 = v128.load64_lane(pre + (<usize>k3 << 3), v128.load64_zero(pre + (<usize>k2 << 3)), 1);
  const lo = i16x8.shr_u(i16x8.add(c01, i16x8.mul(i16x8.extend_low_i8x16_u(px), vb)), 8);
  const hi = i16x8.shr_u(i16x8.add(c23, i16x8.mul(i16x8.extend_high_i8x16_u(px), vb)), 8);
  v128.store(o, i8x16.narrow_i16x8_u(lo, hi));
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
