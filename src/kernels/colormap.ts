import { ptr, type F32, type KernelDescriptor, type U8, type WasmExports } from './types.js';

const f = Math.fround;

/**
 * LUT index of a map value: trunc(f32(v·255)) clamped to [0, 255], NaN → 0. For v in [0, 1] this is
 * pytorch-grad-cam's np.uint8(255 * mask); out-of-range values clamp instead of wrapping.
 */
export function lutIndex(v: number): number {
  const t = f(v * 255);
  return t >= 255 ? 255 : t > 0 ? Math.trunc(t) : 0;
}

/** Colormap: out[i] (RGBA8) = lut[lutIndex(map[i])]; `lut` holds 256 RGBA entries. */
export function colormap(out: U8, map: F32, n: number, lut: U8): void {
  for (let i = 0; i < n; i++) {
    const l = lutIndex(map[i]) * 4;
    const o = i * 4;
    out[o] = lut[l];
    out[o + 1] = lut[l + 1];
    out[o + 2] = lut[l + 2];
    out[o + 3] = lut[l + 3];
  }
}

export const colormap_kernel: KernelDescriptor<typeof colormap> = {
  name: 'colormap',
  js: colormap,
  wasm: (x: WasmExports) => (out, map, n, lut) => void x.colormap(ptr(out), ptr(map), n, ptr(lut)),
};
