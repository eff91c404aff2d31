// Shared plumbing for the metrics: scoring batches through the user's model (any backend, no leaks)
// and turning maps of any accepted form into n×H×W Float32Arrays at the image size.
import * as tf from '@tensorflow/tfjs-core';
import { InputError, NameError, OptionError } from '../errors.js';
import { resizeMapsSync } from '../core/post.js';
import { getRuntime } from '../runtime/init.js';

/** A tf.LayersModel / tf.GraphModel (anything with a synchronous predict) or a function x → output. */
export type MetricModel = { predict(x: tf.Tensor, config?: unknown): tf.Tensor | tf.Tensor[] | unknown } | ((x: tf.Tensor) => tf.Tensor);

/** How the model output becomes the per-class score: raw, softmax (default) or sigmoid, or your own function. */
export type ScoreMode = 'logits' | 'softmax' | 'sigmoid' | ((output: tf.Tensor) => tf.Tensor);

/** One map: values row-major, width × height (a CamMap, or anything with that shape). */
export interface MapLike {
  width: number;
  height: number;
  values: ArrayLike<number>;
}

/**
 * Maps for n images: an array of MapLike, an explain() result ({map, n, width, height}),
 * a flat array of n·H·W values at the image size, or a tensor [n,h,w] / [n,h,w,1].
 */
export type MapsInput = readonly MapLike[] | { map: Float32Array; n: number; width: number; height: number } | Float32Array | number[] | tf.Tensor;

export interface ScoreOptions {
  /** Default 'softmax': Chattopadhay et al. (2018) and torchcam's benchmark work on class probabilities. */
  scores?: ScoreMode;
  /** Inputs per model call. Default 32. */
  batchSize?: number;
}

export function checkImages(images: tf.Tensor): [number, number, number, number] {
  if (!images || !Array.isArray(images.shape) || typeof (images as { data?: unknown }).data !== 'function') {
    throw new InputError('E_SHAPE', 'images must be a tf.Tensor [N, H, W, C].');
  }
  if (images.isDisposed) throw new InputError('E_DISPOSED', 'The images tensor is disposed.');
  if (images.rank !== 4) throw new InputError('E_SHAPE', `images must be [N, H, W, C], got [${images.shape.join(', ')}].`);
  if (images.shape.some((d) => d === 0)) throw new InputError('E_EMPTY', `images is empty ([${images.shape.join(', ')}]).`);
  if (images.dtype !== 'float32') throw new InputError('E_DTYPE', `images must be float32, got ${images.dtype}.`);
  return images.shape as [number, number, number, number];
}

export function checkBatch(b: number | undefined): number {
  const v = b ?? 32;
  if (!Number.isInteger(v) || v < 1) throw new OptionError(`batchSize must be a positive integer, got ${String(b)}.`);
  return v;
}

function checkScores(s: ScoreMode | undefined): ScoreMode {
  const v = s ?? 'softmax';
  if (typeof v !== 'function' && v !== 'logits' && v !== 'softmax' && v !== 'sigmoid') {
    if (typeof v === 'string') throw new NameError('scores mode', v, ['logits', 'softmax', 'sigmoid']);
    throw new OptionError(`scores must be 'logits', 'softmax', 'sigmoid' or a function, got ${typeof v}.`);
  }
  return v;
}

/** n maps at H×W (resized bilinearly when their size differs); NaN values become 0 (as torchcam). */
export async function mapsAt(maps: MapsInput, n: number, H: number, W: number): Promise<Float32Array> {
  const out = new Float32Array(n * H * W);
  let list: MapLike[];
  if (isTensor(maps)) {
    if (maps.isDisposed) throw new InputError('E_DISPOSED', 'The maps tensor is disposed.');
    const s = maps.shape;
    if (!(s.length === 3 || (s.length === 4 && s[3] === 1)) || s[0] !== n) {
      throw new InputError('E_SHAPE', `maps must be [${n}, h, w] or [${n}, h, w, 1], got [${s.join(', ')}].`);
    }
    const v = await maps.data();
    list = Array.from({ length: n }, (_, i) => ({ width: s[2], height: s[1], values: (v as Float32Array).subarray(i * s[1] * s[2], (i + 1) * s[1] * s[2]) }));
  } else if (maps instanceof Float32Array || Array.isArray(maps) && (maps.length === 0 || typeof maps[0] === 'number')) {
    const a = maps as ArrayLike<number>;
    if (a.length !== n * H * W) throw new InputError('E_SHAPE', `A flat maps array needs n·H·W = ${n * H * W} values, got ${a.length}.`);
    list = Array.from({ length: n }, (_, i) => ({ width: W, height: H, values: Array.prototype.slice.call(a, i * H * W, (i + 1) * H * W) as number[] }));
  } else if (Array.isArray(maps)) {
    list = maps as unknown as MapLike[];
  } else if (maps && typeof maps === 'object' && 'map' in maps) {
    const r = maps as { map: Float32Array; n: number; width: number; height: number };
    list = Array.from({ length: r.n }, (_, i) => ({ width: r.width, height: r.height, values: r.map.subarray(i * r.width * r.height, (i + 1) * r.width * r.height) }));
  } else {
    throw new InputError('E_SHAPE', 'maps must be an array of {width, height, values}, an explain() result, a flat array or a tensor.');
  }
  if (list.length !== n) throw new InputError('E_SHAPE', `Expected ${n} maps (one per image), got ${list.length}.`);
  list.forEach((m, i) => {
    if (!m || !Number.isInteger(m.width) || !Number.isInteger(m.height) || m.width < 1 || m.height < 1 || !m.values || m.values.length !== m.width * m.height) {
      throw new InputError('E_SHAPE', `Map ${i} must have integer width, height ≥ 1 and width·height values.`);
    }
  });
  const rt = await getRuntime();
  list.forEach((m, i) => {
    const r = resizeMapsSync(rt, m.values, 1, m.height, m.width, H, W);
    for (let k = 0; k < r.length; k++) if (r[k] !== r[k]) r[k] = 0;
    out.set(r, i * H * W);
  });
  return out;
}

export function checkTargets(targets: readonly number[] | undefined, n: number): void {
  if (targets === undefined) return;
  if (!Array.isArray(targets) || targets.length !== n) throw new InputError('E_SHAPE', `targets must hold one class index per image (${n}), got ${Array.isArray(targets) ? targets.length : typeof targets}.`);
  for (const t of targets) if (!Number.isInteger(t) || t < 0) throw new InputError('E_TARGET', `Target classes must be integers ≥ 0, got ${t}.`);
}

/** Duck-typed: a tensor from any copy of tfjs-core. */
export function isTensor(t: unknown): t is tf.Tensor {
  return !!t && typeof t === 'object' && Array.isArray((t as tf.Tensor).shape) && typeof (t as tf.Tensor).data === 'function' && typeof (t as tf.Tensor).dispose === 'function';
}

function forward(model: MetricModel, x: tf.Tensor): tf.Tensor {
  const out = typeof model === 'function' ? model(x) : model.predict(x);
  const t = Array.isArray(out) ? out[0] : out;
  if (!isTensor(t)) throw new InputError('E_SHAPE', 'The model must return a tensor [N, classes] synchronously.');
  return t;
}

/**
 * Scores every row of `rows` (built lazily, `batchSize` at a time) for its own target class.
 * `build(start, count)` returns the pixels of rows start..start+count−1 as one Float32Array.
 * With `targets` undefined, the arg max of each row's scores is taken (and returned).
 */
export class Scorer {
  readonly mode: ScoreMode;
  readonly batchSize: number;
  constructor(readonly model: MetricModel, opts: ScoreOptions) {
    this.mode = checkScores(opts.scores);
    this.batchSize = checkBatch(opts.batchSize);
  }

  private scoresOf(out: tf.Tensor): tf.Tensor {
    if (out.rank !== 2) throw new InputError('E_SHAPE', `The model output must be [N, classes], got [${out.shape.join(', ')}].`);
    const m = this.mode;
    if (typeof m === 'function') return m(out);
    if (m === 'softmax') return tf.softmax(out);
    if (m === 'sigmoid') return tf.sigmoid(out);
    return out;
  }

  /** Scores of `count` rows of shape `shape` (H,W,C); targets[i] per row, or arg max when absent. */
  async score(count: number, shape: readonly number[], build: (start: number, count: number) => Float32Array, targets?: readonly number[]): Promise<{ score: Float32Array; target: Int32Array }> {
    const score = new Float32Array(count);
    const target = new Int32Array(count);
    for (let s = 0; s < count; s += this.batchSize) {
      const k = Math.min(this.batchSize, count - s);
      const pix = build(s, k);
      const all = tf.tidy(() => {
        const x = tf.tensor4d(pix, [k, shape[0], shape[1], shape[2]]);
        return this.scoresOf(forward(this.model, x));
      });
      try {
        const c = all.shape[1] as number;
        const v = await all.data();
        for (let i = 0; i < k; i++) {
          let t = targets ? targets[s + i] : -1;
          if (t >= c) throw new InputError('E_TARGET', `Target class ${t} is out of range for ${c} classes.`);
          if (t < 0) {
            t = 0;
            for (let j = 1; j < c; j++) if (v[i * c + j] > v[i * c + t]) t = j;
          }
          target[s + i] = t;
          score[s + i] = v[i * c + t];
        }
      } finally {
        all.dispose();
      }
    }
    return { score, target };
  }
}

/** Trapezoid rule of y over x (torch.trapezoid). */
export function trapezoid(y: ArrayLike<number>, x: ArrayLike<number>): number {
  let a = 0;
  for (let i = 1; i < y.length; i++) a += ((y[i] + y[i - 1]) / 2) * (x[i] - x[i - 1]);
  return a;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}
