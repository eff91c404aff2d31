// How a model expects its input pixels: the presets the CLI (`--preprocess`) and the widget's live mode
// (`preprocess` attribute) share, and the RGBA → NHWC float conversion for 1, 3 or 4 input channels.
// value_c = (pixel_c · scale − mean_c) / std_c, with pixels in 0–255 and channels in `order`.
import { NameError, OptionError } from '../errors.js';

export type PreprocessPreset = '0-1' | '0-255' | '-1-1' | 'imagenet' | 'caffe';

export interface Preprocess {
  /** Multiplies the 0–255 pixel before the mean is subtracted. */
  scale: number;
  /** Per channel, in RGB order (after scaling). */
  mean: readonly [number, number, number];
  /** Per channel, in RGB order (after scaling). */
  std: readonly [number, number, number];
  /** Channel order of a 3- or 4-channel input ('bgr': Caffe models). */
  order: 'rgb' | 'bgr';
}

/** torchvision's ImageNet statistics (on pixels/255). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
/** Caffe's ImageNet means on 0–255 pixels, in RGB order (Keras `preprocess_input(mode='caffe')`). */
export const CAFFE_MEAN_RGB = [123.68, 116.779, 103.939] as const;

export const PREPROCESS_PRESETS: Readonly<Record<PreprocessPreset, Preprocess>> = {
  '0-1': { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb' },
  '0-255': { scale: 1, mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb' },
  '-1-1': { scale: 1 / 127.5, mean: [1, 1, 1], std: [1, 1, 1], order: 'rgb' },
  imagenet: { scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD, order: 'rgb' },
  caffe: { scale: 1, mean: CAFFE_MEAN_RGB, std: [1, 1, 1], order: 'bgr' },
};

export const PREPROCESS_NAMES = Object.keys(PREPROCESS_PRESETS) as PreprocessPreset[];

/** ITU-R BT.601 luma weights: the single channel of a grayscale-input model. */
export const LUMA_601 = [0.299, 0.587, 0.114] as const;

export interface PreprocessOverrides {
  /** Replaces the preset's mean (one value for every channel, or three in RGB order). */
  mean?: readonly number[];
  /** Replaces the preset's std (one value or three, RGB order). */
  std?: readonly number[];
  /** Replaces the preset's scale (e.g. the CLI's old `--input-scale`). */
  scale?: number;
}

function triple(v: readonly number[], what: string): [number, number, number] {
  if (!Array.isArray(v) || (v.length !== 1 && v.length !== 3) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new OptionError(`${what} must be one number or three (R,G,B), got ${JSON.stringify(v)}.`);
  }
  return v.length === 1 ? [v[0], v[0], v[0]] : [v[0], v[1], v[2]];
}

/** A preset name (default '0-1', i.e. pixels/255) with optional overrides → a checked Preprocess. */
export function resolvePreprocess(preset?: string, o: PreprocessOverrides = {}): Preprocess {
  const name = preset ?? '0-1';
  if (!Object.prototype.hasOwnProperty.call(PREPROCESS_PRESETS, name)) throw new NameError('preprocess preset', name, PREPROCESS_NAMES);
  const base = PREPROCESS_PRESETS[name as PreprocessPreset];
  const mean = o.mean !== undefined ? triple(o.mean, 'mean') : base.mean;
  const std = o.std !== undefined ? triple(o.std, 'std') : base.std;
  if (std.some((s) => !(s > 0))) throw new OptionError(`std must be > 0, got ${std.join(',')}.`);
  const scale = o.scale ?? base.scale;
  if (!(Number.isFinite(scale) && scale > 0)) throw new OptionError(`The input scale must be a positive number, got ${String(o.scale)}.`);
  return { scale, mean: [mean[0], mean[1], mean[2]], std: [std[0], std[1], std[2]], order: base.order };
}

/**
 * RGBA pixels (row-major, 4 bytes each) → model input values, [height][width][channels] float32.
 * channels 1: luma (BT.601) of the RGB pixel, normalised with the luma-weighted mean and std;
 * 3: RGB (or BGR); 4: the same plus alpha scaled like the others (no mean, no std).
 */
export function toModelInput(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  p: Preprocess,
  out?: Float32Array,
): Float32Array {
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new OptionError(`Models with ${channels} input channels are not supported (1, 3 or 4).`);
  const n = width * height;
  if (rgba.length < n * 4) throw new OptionError(`${rgba.length} RGBA bytes for a ${width}×${height} image.`);
  const o = out ?? new Float32Array(n * channels);
  const { scale, mean, std } = p;
  if (channels === 1) {
    const m = LUMA_601[0] * mean[0] + LUMA_601[1] * mean[1] + LUMA_601[2] * mean[2];
    const s = LUMA_601[0] * std[0] + LUMA_601[1] * std[1] + LUMA_601[2] * std[2];
    for (let i = 0; i < n; i++) {
      const y = LUMA_601[0] * rgba[4 * i] + LUMA_601[1] * rgba[4 * i + 1] + LUMA_601[2] * rgba[4 * i + 2];
      o[i] = (y * scale - m) / s;
    }
    return o;
  }
  const bgr = p.order === 'bgr';
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const src = bgr ? 2 - c : c; // output channel c reads this RGB channel
      o[i * channels + c] = (rgba[4 * i + src] * scale - mean[src]) / std[src];
    }
    if (channels === 4) o[i * 4 + 3] = rgba[4 * i + 3] * scale;
  }
  return o;
}
