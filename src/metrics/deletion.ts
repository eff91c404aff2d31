// Deletion and insertion AUC (Petsiuk et al., RISE, 2018) as torchcam's DeletionInsertionMetric:
// positions ranked by map value (stable, highest first), ≤ `steps` intervals of ceil(P/steps)
// positions, deletion replaces the top positions with the baseline, insertion starts from the
// baseline and restores them; each AUC is the trapezoid over the perturbed fraction.
import type * as tf from '@tensorflow/tfjs-core';
import { InputError, OptionError } from '../errors.js';
import { Scorer, checkImages, checkTargets, isTensor, mapsAt, mean, trapezoid, type MapsInput, type MetricModel, type ScoreOptions } from './common.js';

export interface DeletionInsertionOptions extends ScoreOptions {
  targets?: readonly number[];
  /** Maximum number of intervals. Default 20. */
  steps?: number;
  /** 'zeros' (default), a constant, a tensor broadcastable to the images, or a function images → tensor. */
  baseline?: 'zeros' | number | tf.Tensor | ((images: tf.Tensor) => tf.Tensor);
}

export interface DeletionInsertionResult {
  /** Mean deletion AUC (lower is better) and insertion AUC (higher is better). */
  deletion: number;
  insertion: number;
  /** Per image AUCs, curves (n × fractions.length) and the perturbed fractions. */
  deletionAuc: Float32Array;
  insertionAuc: Float32Array;
  deletionCurve: Float32Array;
  insertionCurve: Float32Array;
  fractions: Float32Array;
  targets: Int32Array;
}

async function baselineOf(b: DeletionInsertionOptions['baseline'], images: tf.Tensor, size: number): Promise<Float32Array> {
  if (b === undefined || b === 'zeros') return new Float32Array(size);
  if (typeof b === 'number') {
    if (!Number.isFinite(b)) throw new OptionError(`baseline must be finite, got ${b}.`);
    return new Float32Array(size).fill(b);
  }
  const t = typeof b === 'function' ? b(images) : b;
  if (!isTensor(t)) throw new OptionError('baseline must be \'zeros\', a number, a tensor or a function returning a tensor.');
  try {
    const v = (await t.data()) as Float32Array;
    if (v.length === size) return Float32Array.from(v);
    // broadcast a per-image [1,H,W,C] / [H,W,C] or per-channel [C] baseline
    if (size % v.length !== 0) throw new InputError('E_SHAPE', `baseline [${t.shape.join(', ')}] does not broadcast to images [${images.shape.join(', ')}].`);
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = v[i % v.length];
    return out;
  } finally {
    if (typeof b === 'function') t.dispose();
  }
}

export async function deletionInsertion(model: MetricModel, images: tf.Tensor, maps: MapsInput, opts: DeletionInsertionOptions = {}): Promise<DeletionInsertionResult> {
  const [n, H, W, C] = checkImages(images);
  checkTargets(opts.targets, n);
  const steps = opts.steps ?? 20;
  if (!Number.isInteger(steps) || steps < 1) throw new OptionError(`steps must be a positive integer, got ${String(steps)}.`);
  const scorer = new Scorer(model, opts);
  const m = await mapsAt(maps, n, H, W);
  const px = (await images.data()) as Float32Array;
  const base = await baselineOf(opts.baseline, images, px.length);
  const P = H * W, per = P * C;

  const orig = await scorer.score(n, [H, W, C], (s, k) => px.slice(s * per, (s + k) * per), opts.targets);
  // rank[p] = position of pixel p in the stable descending order of its map value
  const ranks: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = m.subarray(i * P, (i + 1) * P);
    const order = Array.from({ length: P }, (_, p) => p).sort((a, b) => v[b] - v[a] || a - b);
    const r = new Int32Array(P);
    order.forEach((p, k) => (r[p] = k));
    ranks.push(r);
  }
  const step = Math.ceil(P / steps);
  const counts: number[] = [];
  for (let c = 0; c < P; c += step) counts.push(c);
  counts.push(P);
  const L = counts.length;
  const fractions = Float32Array.from(counts, (c) => c / P);
  const del = new Float32Array(n * L), ins = new Float32Array(n * L);
  // jobs: (image, curve 0 = deletion / 1 = insertion, point); the all-baseline input is shared
  const jobs: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    del[i * L] = orig.score[i];
    ins[i * L + L - 1] = orig.score[i];
    jobs.push([i, 0, L - 1]);
    for (let j = 1; j < L - 1; j++) jobs.push([i, 0, j], [i, 1, j]);
  }
  const tg = jobs.map(([i]) => orig.target[i]);
  const res = await scorer.score(
    jobs.length,
    [H, W, C],
    (s, k) => {
      const out = new Float32Array(k * per);
      for (let q = 0; q < k; q++) {
        const [i, curve, j] = jobs[s + q];
        const r = ranks[i], cnt = counts[j];
        for (let p = 0; p < P; p++) {
          const relevant = r[p] < cnt;
          const src = (curve === 1) === relevant ? px : base;
          for (let c = 0; c < C; c++) out[(q * P + p) * C + c] = src[(i * P + p) * C + c];
        }
      }
      return out;
    },
    tg,
  );
  jobs.forEach(([i, curve, j], q) => {
    if (curve === 0) {
      del[i * L + j] = res.score[q];
      if (j === L - 1) ins[i * L] = res.score[q];
    } else ins[i * L + j] = res.score[q];
  });
  const deletionAuc = new Float32Array(n), insertionAuc = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    deletionAuc[i] = trapezoid(del.subarray(i * L, (i + 1) * L), fractions);
    insertionAuc[i] = trapezoid(ins.subarray(i * L, (i + 1) * L), fractions);
  }
  return { deletion: mean(deletionAuc), insertion: mean(insertionAuc), deletionAuc, insertionAuc, deletionCurve: del, insertionCurve: ins, fractions, targets: orig.target };
}
