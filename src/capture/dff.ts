// Deep Feature Factorization (Collins et al. 2018; pytorch-grad-cam's deep_feature_factorization.py):
// the layer's activations of a batch, as a [positions × channels] matrix (NaN → 0, each channel minus
// its minimum), factorised by NMF into k concepts W[c][k] and their explanations E[positions][k];
// concepts = W + the channel offsets; each explanation map is min-max normalised and resized to the
// input (pgc's scale_cam_image: normalise, then resize); a classifier head applied to the concepts
// gives each concept's class scores. Solver: Lee–Seung multiplicative updates (kernel nmf_mu) from a
// seeded random start, stopped as sklearn stops (every 10 iterations, when the error's drop divided by
// the initial error is below tol; at most maxIter). pgc uses sklearn's coordinate descent from its own
// random start: same objective, different factors (concepts can come out in another order or mix).
import * as tf from '@tensorflow/tfjs-core';
import { InputError, OptionError } from '../errors.js';
import type { Runtime } from '../runtime/init.js';
import { getRuntime } from '../runtime/init.js';
import { extensionKernels, loadExtension } from '../runtime/extension.js';
import { nmfInit, nmfMuTmp, nmfPrepare } from '../kernels/nmf_mu.js';
import { createAdapter, type ExplainableModel, type ModelAdapter } from './adapter.js';

export interface FactorizeOptions {
  /** Concepts (pgc's n_components; default 16, as DeepFeatureFactorization.__call__). */
  components?: number;
  /** Seed of the random start (default 0). */
  seed?: number;
  /** At most this many iterations (default 200, sklearn's max_iter). */
  maxIter?: number;
  /** Stop when the error's drop over 10 iterations, over the initial error, is below this (default 1e-4). */
  tol?: number;
  /** [height, width] of the concept maps (default: the activations' own size). */
  size?: readonly [number, number];
}

export interface Factorization {
  /** Concepts [c][k] (row-major: channel c, concept l at c·k + l), offsets added back. */
  concepts: Float32Array;
  components: number;
  channels: number;
  /** Images. */
  n: number;
  /** [n][k][h·w] raw explanations (non-negative). */
  explanations: Float32Array;
  lowresShape: [number, number];
  /** [n][k][height][width] each explanation normalised to [0, 1) and resized. */
  maps: Float32Array;
  width: number;
  height: number;
  /** ‖P − E·Wᵀ‖_F at the start and at the end, and ‖P‖_F (P: the offset activations). */
  initialError: number;
  error: number;
  norm: number;
  iterations: number;
}

/** The factorisation of activations [n, h, w, c] (NHWC, flattened). Needs loadExtension(rt) done. */
export function factorizeSync(rt: Runtime, activations: Float32Array, shape: readonly number[], opts: FactorizeOptions = {}): Factorization {
  if (shape.length !== 4 || activations.length !== shape.reduce((a, b) => a * b, 1)) throw new InputError('E_SHAPE', `activations must be [N, H, W, C] with matching data, got [${shape.join(', ')}].`);
  const [n, h, w, c] = shape;
  const k = opts.components ?? 16;
  const maxIter = opts.maxIter ?? 200, tol = opts.tol ?? 1e-4;
  if (!Number.isInteger(k) || k < 1) throw new OptionError(`components must be a positive integer, got ${String(k)}.`);
  if (!Number.isInteger(maxIter) || maxIter < 0 || !(tol >= 0)) throw new OptionError('maxIter must be an integer ≥ 0 and tol ≥ 0.');
  const [H, W] = opts.size ?? [h, w];
  const hw = h * w, N = n * hw, HW = H * W;
  const kern = extensionKernels(rt);
  const { f: [e, wv, p, tmp] } = rt.arena.take([N * k, c * k, N * c, nmfMuTmp(c, k)]);
  p.set(activations);
  const offset = nmfPrepare(p, N, c);
  nmfInit(e, wv, p, N, c, k, opts.seed ?? 0);
  let s = 0, norm = 0;
  for (let i = 0; i < p.length; i++) {
    s = Math.max(s, p[i]);
    norm += p[i] * p[i];
  }
  const eps = 1e-12 * s ** 1.5 || 1e-30;
  const err0 = kern.nmf_mu(e, wv, p, tmp, N, c, k, 0, eps);
  let prev = err0, err = err0, it = 0;
  while (it < maxIter) {
    const step = Math.min(10, maxIter - it);
    err = kern.nmf_mu(e, wv, p, tmp, N, c, k, step, eps);
    it += step;
    if (err0 === 0 || (prev - err) / err0 < tol) break;
    prev = err;
  }
  const concepts = Float32Array.from(wv);
  for (let q = 0; q < c; q++) for (let l = 0; l < k; l++) concepts[q * k + l] += offset[q];
  const explanations = new Float32Array(n * k * hw);
  for (let b = 0; b < n; b++) for (let q = 0; q < hw; q++) for (let l = 0; l < k; l++) explanations[(b * k + l) * hw + q] = e[(b * hw + q) * k + l];
  const { f: [x, out, rtmp] } = rt.arena.take([n * k * hw, n * k * HW, h * W]);
  x.set(explanations);
  rt.kernels.minmax_normalize(x, n * k, hw, 1e-7);
  if (H === h && W === w) out.set(x);
  else rt.kernels.resize_bilinear(out, x, rtmp, n * k, h, w, H, W, 0);
  return {
    concepts, components: k, channels: c, n, explanations, lowresShape: [h, w], maps: Float32Array.from(out), width: W, height: H,
    initialError: err0, error: err, norm: Math.sqrt(norm), iterations: it,
  };
}

export interface DffOptions extends FactorizeOptions {
  /** The layer to factorise (default: the adapter's default layer). */
  layer?: string;
  /**
   * pgc's computation_on_concepts: the classifier head applied to the concepts [k, C] → [k, classes]
   * (e.g. the dense layer after global average pooling). Gives `conceptScores` and `topClasses`.
   */
  head?: (concepts: tf.Tensor2D) => tf.Tensor;
  /** Classes per concept in topClasses (default 2), by softmax probability. */
  topK?: number;
  runtime?: Runtime;
}

export interface DffResult extends Factorization {
  layer: string;
  /** [k][classes] the head's output on each concept (with `head`). */
  conceptScores?: Float32Array;
  classes?: number;
  /** Per concept, its topK classes and their softmax probabilities (with `head`). */
  topClasses?: { classes: number[]; probabilities: number[] }[];
}

/** Deep Feature Factorization of the input batch x [N, H, W, C]: concepts, per-concept maps at the input size. */
export async function deepFeatureFactorization(model: ExplainableModel | ModelAdapter, x: tf.Tensor, opts: DffOptions = {}): Promise<DffResult> {
  if (!x || x.rank !== 4) throw new InputError('E_SHAPE', 'deepFeatureFactorization needs an input tf.Tensor [N, H, W, C].');
  const ad = createAdapter(model);
  const rt = opts.runtime ?? (await getRuntime());
  await loadExtension(rt);
  const layer = opts.layer ?? ad.defaultLayer(x);
  const A = ad.activations(x, layer);
  let data: Float32Array, shape: number[];
  try {
    shape = A.shape.slice();
    data = Float32Array.from((await A.data()) as Float32Array);
  } finally {
    A.dispose();
  }
  if (shape.length !== 4) throw new InputError('E_SHAPE', `Layer '${layer}' outputs [${shape.join(', ')}]; factorisation needs a [N, H, W, C] feature map.`);
  const f = factorizeSync(rt, data, shape, { ...opts, size: opts.size ?? [x.shape[1]!, x.shape[2]!] });
  const r: DffResult = { ...f, layer };
  if (opts.head) {
    const k = f.components, c = f.channels;
    const y = tf.tidy(() => {
      const t = tf.tensor2d(f.concepts, [c, k]).transpose() as tf.Tensor2D;
      return tf.reshape(opts.head!(t), [k, -1]);
    });
    const scores = Float32Array.from((await y.data()) as Float32Array);
    const classes = y.shape[1]!;
    y.dispose();
    const topK = Math.min(opts.topK ?? 2, classes);
    r.conceptScores = scores;
    r.classes = classes;
    r.topClasses = Array.from({ length: k }, (_, l) => {
      const row = Array.from(scores.subarray(l * classes, (l + 1) * classes));
      const m = Math.max(...row);
      const ex = row.map((v) => Math.exp(v - m));
      const z = ex.reduce((a, b) => a + b, 0);
      const order = row.map((_, j) => j).sort((a, b) => row[b] - row[a] || a - b).slice(0, topK);
      return { classes: order, probabilities: order.map((j) => ex[j] / z) };
    });
  }
  return r;
}
