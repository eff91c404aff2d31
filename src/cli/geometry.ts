// How an image is fitted to the model's input size (--resize) and how a map at the model size is drawn
// back onto the original image (the inverse of the same mapping). All sampling is bilinear with
// half-pixel centres (cv2 INTER_LINEAR, no antialiasing), the convention of the rest of camkit.
//   stretch:   each axis scaled on its own (the aspect ratio may change); the whole image is seen.
//   crop:      scaled by max(W/w, H/h) so the image covers the input, then the centre W×H is cut out;
//              parts of the image outside that window are not seen (their map value is 0).
//   letterbox: scaled by min(W/w, H/h) so the image fits inside, centred, the rest padded with black.
// A point u (original pixels, continuous, 0 = left edge) lands at X = u·sx + tx in the model input.
import { OptionError } from '../errors.js';
import { NameError } from '../errors.js';
import { resizeMapsSync } from '../core/post.js';
import type { Runtime } from '../runtime/init.js';
import type { RGBAImage } from '../render/types.js';

export type ResizeMode = 'stretch' | 'crop' | 'letterbox';
export const RESIZE_MODES: readonly ResizeMode[] = ['stretch', 'crop', 'letterbox'];

export interface Fit {
  mode: ResizeMode;
  /** original size */
  w: number;
  h: number;
  /** model input size */
  W: number;
  H: number;
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

/** The letterbox padding (opaque black; the preprocessing then maps it like any black pixel). */
export const LETTERBOX_PAD = [0, 0, 0, 255] as const;

export function resizeMode(v: string | undefined): ResizeMode {
  const m = v ?? 'stretch';
  if (!(RESIZE_MODES as readonly string[]).includes(m)) throw new NameError('resize mode', m, RESIZE_MODES);
  return m as ResizeMode;
}

export function fitImage(mode: ResizeMode, w: number, h: number, W: number, H: number): Fit {
  if (!(w > 0 && h > 0 && W > 0 && H > 0)) throw new OptionError(`Cannot fit a ${w}×${h} image to a ${W}×${H} input.`);
  if (mode === 'stretch') return { mode, w, h, W, H, sx: W / w, sy: H / h, tx: 0, ty: 0 };
  const s = mode === 'crop' ? Math.max(W / w, H / h) : Math.min(W / w, H / h);
  return { mode, w, h, W, H, sx: s, sy: s, tx: (W - w * s) / 2, ty: (H - h * s) / 2 };
}

/** Half-pixel bilinear resize of RGBA8 (cv2 INTER_LINEAR convention). */
export function resizeRGBA(img: RGBAImage, W: number, H: number): RGBAImage {
  if (img.width === W && img.height === H) return { width: W, height: H, data: new Uint8Array(img.data) };
  const out = new Uint8Array(W * H * 4);
  const { width: w, height: h, data } = img;
  for (let y = 0; y < H; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / H) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      for (let c = 0; c < 4; c++) {
        const a = data[(y0 * w + x0) * 4 + c] * (1 - fx) + data[(y0 * w + x1) * 4 + c] * fx;
        const b = data[(y1 * w + x0) * 4 + c] * (1 - fx) + data[(y1 * w + x1) * 4 + c] * fx;
        out[(y * W + x) * 4 + c] = Math.round(a * (1 - fy) + b * fy);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/** Bilinear taps along one axis: for each output index, the source pair, its weight, and whether it is outside. */
function taps(n: number, src: number, toSrc: (i: number) => number) {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), f = new Float64Array(n), out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = toSrc(i + 0.5); // continuous source coordinate of the output pixel centre
    if (u < 0 || u >= src) out[i] = 1;
    const s = Math.min(Math.max(u - 0.5, 0), src - 1);
    i0[i] = Math.floor(s);
    i1[i] = Math.min(i0[i] + 1, src - 1);
    f[i] = s - i0[i];
  }
  return { i0, i1, f, out };
}

/** The model-size RGBA input for an image (stretch is resizeRGBA exactly). */
export function fitToModel(img: RGBAImage, fit: Fit): RGBAImage {
  if (fit.mode === 'stretch') return resizeRGBA(img, fit.W, fit.H);
  const { W, H, w, h, sx, sy, tx, ty } = fit;
  const X = taps(W, w, (c) => (c - tx) / sx);
  const Y = taps(H, h, (c) => (c - ty) / sy);
  const out = new Uint8Array(W * H * 4);
  const d = img.data;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 4;
      if (Y.out[y] || X.out[x]) {
        // crop never lands outside (the window is inside the image); letterbox pads
        out.set(LETTERBOX_PAD, o);
        continue;
      }
      const r0 = Y.i0[y] * w, r1 = Y.i1[y] * w, fy = Y.f[y], fx = X.f[x];
      for (let c = 0; c < 4; c++) {
        const a = d[(r0 + X.i0[x]) * 4 + c] * (1 - fx) + d[(r0 + X.i1[x]) * 4 + c] * fx;
        const b = d[(r1 + X.i0[x]) * 4 + c] * (1 - fx) + d[(r1 + X.i1[x]) * 4 + c] * fx;
        out[o + c] = Math.round(a * (1 - fy) + b * fy);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * A map at the model input size (H×W, values in [0, 1]) drawn onto the original image at outW×outH
 * (the original's own size, or --size): the inverse of the fit. Pixels the model did not see are 0.
 */
export function mapToImage(rt: Runtime, map: Float32Array, fit: Fit, outW: number, outH: number): Float32Array {
  const { W, H, w, h, sx, sy, tx, ty } = fit;
  let values: Float32Array;
  if (fit.mode === 'stretch') {
    values = resizeMapsSync(rt, map, 1, H, W, outH, outW);
  } else {
    // output pixel centre → original coordinate (the output spans the original) → model coordinate
    const X = taps(outW, W, (c) => (c * w) / outW * sx + tx);
    const Y = taps(outH, H, (c) => (c * h) / outH * sy + ty);
    values = new Float32Array(outW * outH);
    for (let y = 0; y < outH; y++) {
      if (Y.out[y]) continue;
      const r0 = Y.i0[y] * W, r1 = Y.i1[y] * W, fy = Y.f[y];
      for (let x = 0; x < outW; x++) {
        if (X.out[x]) continue;
        const fx = X.f[x];
        const a = map[r0 + X.i0[x]] * (1 - fx) + map[r0 + X.i1[x]] * fx;
        const b = map[r1 + X.i0[x]] * (1 - fx) + map[r1 + X.i1[x]] * fx;
        values[y * outW + x] = a * (1 - fy) + b * fy;
      }
    }
  }
  for (let k = 0; k < values.length; k++) values[k] = Math.min(1, Math.max(0, values[k]));
  return values;
}

/** A box in original pixels (x0, y0 inclusive; x1, y1 exclusive) → model pixels, clipped; null when it is not seen. */
export function boxToModel(b: { x0: number; y0: number; x1: number; y1: number }, fit: Fit): { x0: number; y0: number; x1: number; y1: number } | null {
  const x0 = Math.max(0, Math.floor(b.x0 * fit.sx + fit.tx));
  const y0 = Math.max(0, Math.floor(b.y0 * fit.sy + fit.ty));
  const x1 = Math.min(fit.W, Math.ceil(b.x1 * fit.sx + fit.tx));
  const y1 = Math.min(fit.H, Math.ceil(b.y1 * fit.sy + fit.ty));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : null;
}
