import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** Scratch floats `fullgrad_map` needs in `tmp`: per-channel minimum and reciprocal range. */
export const fullgradMapTmp = (c: number): number => 2 * c;

/**
 * FullGrad's saliency of one layer (or of the input), for n images of NHWC gradients g[n][hw][c]:
 * t[p][k] = |g[p][k]·s[k]| (elementwise = 0: s[c] is a per-channel scale, the layer's bias) or
 * |g[p][k]·s[p][k]| (elementwise = 1: s[n][hw][c], the model input for the input term). Each channel is
 * min-max normalised on its own, as pytorch-grad-cam's scale_accross_batch_and_channels:
 * (t − min)/f32(1e-7 + (max − min)), here as a multiply by the f32 reciprocal; then
 * out[b][p] = Σ_k of those. The reference resizes each normalised channel before summing; bilinear
 * resizing is linear, so the caller resizes this sum once (resize_bilinear) instead.
 * tmp holds fullgradMapTmp(c) floats: on return tmp[k] is the last image's channel minimum and tmp[c + k]
 * its reciprocal range. f32 arithmetic; the channel sums run in another order in the SIMD build.
 * A NaN in a channel makes that image's outputs NaN.
 */
export function fullgrad_map(out: F32, g: F32, s: F32, tmp: F32, n: number, hw: number, c: number, elementwise: number): void {
  if (hw <= 0) return;
  if (c <= 0) {
    out.fill(0, 0, n * hw);
    return;
  }
  const t = (i: number, k: number) => Math.abs(Math.fround(g[i] * s[elementwise ? i : k]));
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let k = 0; k < c; k++) {
      let lo = Infinity, hi = -Infinity;
      for (let p = 0; p < hw; p++) {
        const v = t(base + p * c + k, k);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      tmp[k] = lo;
      tmp[c + k] = Math.fround(1 / Math.fround(1e-7 + Math.fround(hi - lo)));
    }
    for (let p = 0; p < hw; p++) {
      let acc = 0;
      for (let k = 0; k < c; k++) acc += Math.fround(Math.fround(t(base + p * c + k, k) - tmp[k]) * tmp[c + k]);
      out[b * hw + p] = acc;
    }
  }
}

export const fullgrad_map_kernel: KernelDescriptor<typeof fullgrad_map> = {
  name: 'fullgrad_map',
  js: fullgrad_map,
  wasm: (x: WasmExports) => (out, g, s, tmp, n, hw, c, elementwise) =>
    void x.fullgrad_map(ptr(out), ptr(g), ptr(s), ptr(tmp), n, hw, c, elementwise),
};
