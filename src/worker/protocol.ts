// Messages between a page (or Node thread) and camkit's worker. Plain data only: every typed array
// travels as a transferable, so a map or an image is moved, never copied.
import type { RGBAImage } from '../render/types.js';

/** How the worker starts: which tfjs to load (browser) and which backend to pick. */
export interface WorkerInit {
  /** Browser: URL of the tfjs script (tf.min.js), loaded in the worker with importScripts. */
  tfjs?: string;
  /** Browser: URL of tf-backend-wasm.min.js (its .wasm files beside it); false: never try wasm. */
  wasm?: string | false;
  /** 'auto' (default): wasm, then webgl through OffscreenCanvas, then cpu: the first that starts. */
  backend?: string;
}

/** What the worker reports once it is ready. */
export interface WorkerInfo {
  /** The tfjs backend the worker runs on. */
  backend: string;
  /** camkit's kernel flavour in the worker (simd, scalar or js). */
  kernels: string;
  /** Backends tried before the chosen one, each with why it did not start. */
  skipped: { backend: string; reason: string }[];
  /** 'web' (Web Worker) or 'node' (worker_threads). */
  kind: 'web' | 'node';
}

/** A model the worker loads once and keeps: a URL (model.json) or in-memory artifacts. */
export type WorkerModel =
  | string
  | {
      /** Cache key (default: a new key per call, i.e. no caching). */
      key?: string;
      /** tf.io.ModelArtifacts-shaped: modelTopology, weightSpecs, weightData (an ArrayBuffer, moved). */
      artifacts: { modelTopology: unknown; weightSpecs?: unknown[]; weightData?: ArrayBuffer; format?: string; [k: string]: unknown };
    };

/** A ready [N, H, W, C] float32 input (row-major); `data` is moved to the worker. */
export interface WorkerTensor {
  data: Float32Array;
  shape: number[];
}

export interface RenderOptions {
  colormap?: string;
  opacity?: number;
  gamma?: number;
  style?: 'alpha' | 'show_cam_on_image';
}

/** One explanation: a model and an image (preprocessed in the worker) or a ready input tensor. */
export interface WorkerExplainRequest {
  model: WorkerModel;
  /** RGBA pixels, resized to the model's input size and preprocessed in the worker. */
  image?: RGBAImage;
  /** Instead of `image`: the model input as it is. */
  input?: WorkerTensor;
  /** Pixel preset for `image` (the CLI's: 0-1 (default), 0-255, -1-1, imagenet, caffe). */
  preprocess?: string;
  method?: string;
  layer?: string;
  target?: number;
  /** [height, width] of the map; default the model input size. */
  size?: [number, number];
  /** Also return `pixels`: the map over `image` (or the heatmap alone), rendered in the worker. */
  render?: RenderOptions | boolean;
  /** Other explain() options that are plain data (scoreOn, values, batchSize, seed, …). */
  options?: Record<string, unknown>;
}

export interface WorkerExplainResult {
  /** [N][height][width] maps in [0, 1] (or raw/signed with options.values). */
  map: Float32Array;
  width: number;
  height: number;
  method: string;
  layer: string;
  classIndex: Int32Array;
  score: Float32Array;
  output: Float32Array;
  outputShape: number[];
  guided?: Float32Array;
  guidedShape?: number[];
  /** With `render`: RGBA pixels of the first map, over the image when one was given. */
  pixels?: { width: number; height: number; data: Uint8ClampedArray };
  /** The backend it ran on, and the time spent in the worker (ms). */
  backend: string;
  ms: number;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  | { type: 'explain'; id: number; req: WorkerExplainRequest }
  | { type: 'render'; id: number; map: { width: number; height: number; values: Float32Array }; image?: RGBAImage; opts: RenderOptions }
  | { type: 'abort'; id: number }
  | { type: 'dispose'; model: string };

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export type FromWorker =
  | { type: 'ready'; info: WorkerInfo }
  | { type: 'failed'; error: WireError }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError };

/** The buffers of every typed array in `v` (one level of objects and arrays deep is enough here). */
export function transferables(v: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (v === null || typeof v !== 'object' || depth > 3) return out;
  if (ArrayBuffer.isView(v)) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && !out.includes(b) && b.byteLength > 0) out.push(b);
    return out;
  }
  if (v instanceof ArrayBuffer) {
    if (!out.includes(v) && v.byteLength > 0) out.push(v);
    return out;
  }
  for (const x of Array.isArray(v) ? v : Object.values(v)) transferables(x, out, depth + 1);
  return out;
}
