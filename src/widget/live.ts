// Live mode: run a CAM method in the page with tfjs. The widget never imports tfjs; it uses the tf
// object handed to it (property `tf`) or the page's global `tf`, and the capture entry, loaded on demand.
import { CamkitError } from '../errors.js';
import { toImageData } from '../render/canvas.js';
import type { CamMap, RGBAImage } from '../render/types.js';

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
  browser: { fromPixels(px: ImageData | HTMLImageElement | HTMLCanvasElement): unknown };
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

type T = { shape: number[]; dispose(): void };

/** Image → [1, h, w, 3] float in [0, 1] at the model's input size → capture.explain → map. */
export async function runLive(o: LiveOptions): Promise<CamMap> {
  const capture = await o.loadCapture();
  if (typeof capture?.explain !== 'function') throw new CamkitError('E_INIT', 'The capture entry has no explain() function.');
  const model = typeof o.model === 'string' ? await loadModel(o.tf, o.model) : o.model;
  const shape = (model as { inputs?: { shape?: (number | null)[] }[] }).inputs?.[0]?.shape;
  const [h, w] = [shape?.[1] ?? o.image.height, shape?.[2] ?? o.image.width];
  const tf = o.tf as TfLike & Record<string, (...a: unknown[]) => unknown>;
  const x = tf.tidy(() => {
    const px = tf.browser.fromPixels(toImageData(o.image));
    const sized = tf.image.resizeBilinear(px, [h as number, w as number]);
    return tf.expandDims(tf.div(tf.cast(sized, 'float32'), 255), 0);
  }) as T;
  try {
    const r = await capture.explain(model, x, { method: o.method, layer: o.layer, target: o.target, onProgress: o.onProgress, signal: o.signal });
    return { width: r.width, height: r.height, values: r.map.subarray(0, r.width * r.height) };
  } finally {
    x.dispose();
  }
}
