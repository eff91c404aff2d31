// Live mode: run a CAM method in the page with tfjs. The widget never imports tfjs; it uses the tf
// object handed to it (property `tf`) or the page's global `tf`, and the capture entry, loaded on demand.
import { CamkitError } from '../errors.js';
import type { CamMap, RGBAImage } from '../render/types.js';
import { resolvePreprocess, toModelInput } from '../core/preprocess.js';

/** What live mode needs from the capture entry (src/capture/index.ts). */
export interface CaptureModule {
  explain(
    model: unknown,
    input: unknown,
    opts: {
      method?: string;
      layer?: string;
      target?: number;
      onProgress?: (p: { done: number; total: number }) => void;
      signal?: AbortSignal;
    },
  ): Promise<{ map: Float32Array; width: number; height: number }>;
}

/** The subset of tfjs live mode touches (duck-typed: any tfjs 4 build works). */
export interface TfLike {
  loadLayersModel(url: string): Promise<unknown>;
  loadGraphModel?(url: string): Promise<unknown>;
  browser: { fromPixels(px: ImageData | HTMLImageElement | HTMLCanvasElement | { width: number; height: number; data: Uint8Array }, channels?: number): unknown };
  tidy<T>(fn: () => T): T;
  image: { resizeBilinear(x: unknown, size: [number, number]): unknown };
  [op: string]: unknown;
}

export interface LiveOptions {
  tf: TfLike;
  model: unknown;
  image: RGBAImage;
  /** Default: the capture entry's default method. */
  method?: string;
  layer?: string;
  target?: number;
  /** Pixel preset (the CLI's: 0-1 (default), 0-255, -1-1, imagenet, caffe). */
  preprocess?: string;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
  loadCapture: () => Promise<CaptureModule>;
}

const modelCache = new Map<string, Promise<unknown>>();

/** Loads a model URL once per page (layers model first, then graph model). */
export function loadModel(tf: TfLike, url: string): Promise<unknown> {
  let m = modelCache.get(url);
  if (!m) {
    m = tf.loadLayersModel(url).catch((e) => (tf.loadGraphModel ? tf.loadGraphModel(url) : Promise.reject(e)));
    m.catch(() => modelCache.delete(url));
    modelCache.set(url, m);
  }
  return m;
}

type T = { shape: number[]; dispose(): void; data(): Promise<ArrayLike<number>> };

/**
 * RGBA pixels → [1, h, w, c] float32 model input: bilinear resize (tfjs, half-pixel off, as
 * tf.image.resizeBilinear) of the 0–255 pixels, then the preset (core/preprocess.ts). The presets are
 * per-channel affine maps, so resizing first gives the same values as preprocessing first.
 */
export async function imageToInput(tfo: TfLike, image: RGBAImage, [h, w, c]: [number, number, number], preset?: string): Promise<unknown> {
  const pre = resolvePreprocess(preset);
  const tf = tfo as TfLike & Record<string, (...a: unknown[]) => unknown>;
  const data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const sized = tf.tidy(() => tf.image.resizeBilinear(tf.browser.fromPixels({ width: image.width, height: image.height, data }, 4), [h, w])) as T;
  let px: ArrayLike<number>;
  try {
    px = await sized.data();
  } finally {
    sized.dispose();
  }
  return tf.tensor(toModelInput(px, w, h, c, pre), [1, h, w, c]);
}

/** Image → [1, h, w, c] float at the model's input size (preprocess preset) → capture.explain → map. */
export async function runLive(o: LiveOptions): Promise<CamMap> {
  const capture = await o.loadCapture();
  if (typeof capture?.explain !== 'function') throw new CamkitError('E_INIT', 'The capture entry has no explain() function.');
  const model = typeof o.model === 'string' ? await loadModel(o.tf, o.model) : o.model;
  const shape = (model as { inputs?: { shape?: (number | null)[] }[] }).inputs?.[0]?.shape ?? [];
  const dim = (v: number | null | undefined, d: number) => (v && v > 0 ? v : d);
  const x = (await imageToInput(o.tf, o.image, [dim(shape[1], o.image.height), dim(shape[2], o.image.width), dim(shape[3], 3)], o.preprocess)) as T;
  try {
    const r = await capture.explain(model, x, { method: o.method, layer: o.layer, target: o.target, onProgress: o.onProgress, signal: o.signal });
    return { width: r.width, height: r.height, values: r.map.subarray(0, r.width * r.height) };
  } finally {
    x.dispose();
  }
}
