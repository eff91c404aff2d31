import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** Scratch floats `scorecam_masks` needs in `tmp`: the resampled rows plus one mask plane. */
export const scorecamMasksTmp = (h: number, H: number, W: number): number => h * W + H * W;

/**
 * Score-CAM masked inputs. For channel k = k0 … k0+count−1 of one NHWC activation map a[h][w][c]:
 * upsample a[:, :, k] bilinearly to H×W (alignCorners 1: torch UpsamplingBilinear2d, the reference's
 * convention; 0: half-pixel centres clamped at 0, torchcam's), min-max normalise it
 * ((up − min)/(max − min + 1e-8)), multiply by `scale`, and write
 * out[k − k0][y][x][q] = input[y][x][q] · mask[y][x] for the ci input channels.
 * tmp holds scorecamMasksTmp(h, H, W) floats of scratch; out holds count·H·W·ci.
 */
export function scorecam_masks(
  out: F32, input: F32, a: F32, tmp: F32,
  h: number, w: number, c: number, k0: number, count: number,
  H: number, W: number, ci: number, alignCorners: number, scale: number,
): void {
  const plane = tmp.subarray(h * W, h * W + H * W);
  const sx = alignCorners ? (W > 1 ? (w - 1) / (W - 1) : 0) : w / W;
  const sy = alignCorners ? (H > 1 ? (h - 1) / (H - 1) : 0) : h / H;
  const src = (i: number, s: number) => (alignCorners ? s * i : Math.max(s * (i + 0.5) - 0.5, 0));
  for (let i = 0; i < count; i++) {
    const k = k0 + i;
    // Rows first: each source row resampled to W columns.
    for (let x = 0; x < W; x++) {
      const r = src(x, sx);
      const x0 = Math.floor(r);
      const x1 = x0 < w - 1 ? x0 + 1 : x0;
      const l1 = r - x0;
      for (let y = 0; y < h; y++) {
        tmp[y * W + x] = (1 - l1) * a[(y * w + x0) * c + k] + l1 * a[(y * w + x1) * c + k];
      }
    }
    // Then columns, tracking the range for the normalisation.
    let mn = Infinity, mx = -Infinity;
    for (let y = 0; y < H; y++) {
      const r = src(y, sy);
      const y0 = Math.floor(r);
      const y1 = y0 < h - 1 ? y0 + 1 : y0;
      const l1 = r - y0;
      for (let x = 0; x < W; x++) {
        const v = (plane[y * W + x] = (1 - l1) * tmp[y0 * W + x] + l1 * tmp[y1 * W + x]);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
    const den = Math.fround(mx - mn) + 1e-8;
    const o = i * H * W * ci;
    for (let j = 0; j < H * W; j++) {
      const m = ((plane[j] - mn) / den) * scale;
      for (let q = 0; q < ci; q++) out[o + j * ci + q] = input[j * ci + q] * m;
    }
  }
}

export const scorecam_masks_kernel: KernelDescriptor<typeof scorecam_masks> = {
  name: 'scorecam_masks',
  js: scorecam_masks,
  wasm: (x: WasmExports) => (out, input, a, tmp, h, w, c, k0, count, H, W, ci, alignCorners, scale) =>
    void x.scorecam_masks(ptr(out), ptr(input), ptr(a), ptr(tmp), h, w, c, k0, count, H, W, ci, alignCorners, scale),
};
