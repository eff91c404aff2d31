import { lutIndex } from './colormap.js';
import { ptr, type F32, type KernelDescriptor, type U8, type WasmExports } from './types.js';

const f = Math.fround;

/** Overlay styles, as the kernel's `mode` argument. */
export const OVERLAY_MODES = { alpha: 0, show_cam_on_image: 1 } as const;

/**
 * Overlays a [0,1] map (already at image size, n pixels) onto an RGBA8 image through a 256-entry RGBA LUT.
 * mode 0: integer alpha blend with a = round(opacity·256): (lut·a + img·(256−a) + 128) >> 8; alpha from img.
 * mode 1: pytorch-grad-cam's show_cam_on_image in float32 with heatmap weight `opacity`:
 *   t = opacity·lut/255 + (1−opacity)·img/255, out = trunc(255·t / max t over all RGB values), alpha 255
 *   (black when the max is 0, where the library would divide by zero).
 */
export function overlay(out: U8, map: F32, img: U8, n: number, lut: U8, opacity: number, mode: number): void {
  if (mode === 1) showCam(out, map, img, n, lut, f(opacity));
  else blend(out, map, img, n, lut, f(opacity));
}

function alpha256(opacity: number): number {
  const a = f(f(opacity * 256) + 0.5);
  return a >= 256 ? 256 : a > 0 ? Math.trunc(a) : 0;
}

function blend(out: U8, map: F32, img: U8, n: number, lut: U8, opacity: number): void {
  const a = alpha256(opacity);
  const b = 256 - a;
  for (let i = 0; i < n; i++) {
    const l = lutIndex(map[i]) * 4;
    const o = i * 4;
    out[o] = (lut[l] * a + img[o] * b + 128) >> 8;
    out[o + 1] = (lut[l + 1] * a + img[o + 1] * b + 128) >> 8;
    out[o + 2] = (lut[l + 2] * a + img[o + 2] * b + 128) >> 8;
    out[o + 3] = img[o + 3];
  }
}

const mix = (h: number, p: number, w: number, v: number) => f(f(w * f(h / 255)) + f(v * f(p / 255)));

function showCam(out: U8, map: F32, img: U8, n: number, lut: U8, w: number): void {
  const v = f(1 - w);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const l = lutIndex(map[i]) * 4;
    for (let c = 0; c < 3; c++) m = Math.max(m, mix(lut[l + c], img[i * 4 + c], w, v));
  }
  for (let i = 0; i < n; i++) {
    const l = lutIndex(map[i]) * 4;
    const o = i * 4;
    for (let c = 0; c < 3; c++) out[o + c] = m > 0 ? Math.min(255, Math.trunc(f(f(mix(lut[l + c], img[o + c], w, v) / m) * 255))) : 0;
    out[o + 3] = 255;
  }
}

export const overlay_kernel: KernelDescriptor<typeof overlay> = {
  name: 'overlay',
  js: overlay,
  wasm: (x: WasmExports) => (out, map, img, n, lut, opacity, mode) =>
    void x.overlay(ptr(out), ptr(map), ptr(img), n, ptr(lut), opacity, mode),
};
