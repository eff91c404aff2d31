// What to explain: a scalar score of the model output, summed over the batch (each sample's score
// depends only on its own input, so one gradient of the sum gives every sample's gradient).
// Never `gather`: its gradient needs UnsortedSegmentSum, which wasm lacks; a one-hot mask product
// has a gradient on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { InputError, ModelError, NameError } from '../errors.js';
import type { ScoreFn } from './adapter.js';
import type { TargetFn } from './target-library.js';

/**
 * - a class index (every sample), or one index per sample;
 * - 'top1': each sample's most likely class; `{rank: r}`: its r-th most likely (1-based);
 * - `{topK: k}`: the summed scores of each sample's k most likely classes;
 * - a function `(output, samples?) => tensor` giving each sample's score: the helpers of the target
 *   library (classTarget, softmaxTarget, segmentationTarget, boxTarget… see docs/targets.md) or
 *   your own; what it returns is summed over everything for the gradient.
 */
export type Target = number | readonly number[] | 'top1' | { topK: number } | { rank: number } | TargetFn;

export interface ScoreOptions {
  /** 'logits' (default) scores the raw model output; 'probabilities' applies softmax over its last axis first. */
  on?: 'logits' | 'probabilities';
}

// Indices derived from the output must not be differentiated (TopK has no gradient): this identity
// with a zero gradient cuts them off the backward pass.
const topkIndices = (k: number) =>
  tf.customGrad(((o: tf.Tensor) => ({
    value: tf.cast(tf.topk(o, k).indices, 'float32'),
    gradFunc: () => tf.zerosLike(o),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (o: tf.Tensor) => tf.Tensor;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validates `target` against the output shape (batch may be null when unknown), before any allocation. */
export function checkTarget(target: Target | undefined, outputShape: readonly (number | null)[]): void {
  if (target === undefined || typeof target === 'function') return;
  if (outputShape.length < 2) throw new ModelError('E_MODEL', `Class targets need a [N, classes] output; this model's output is [${outputShape}]. Pass a score function.`);
  const C = outputShape[outputShape.length - 1];
  const n = outputShape[0];
  const inRange = (c: number) => isInt(c) && c >= 0 && (C === null || c < C);
  if (typeof target === 'number') {
    if (!inRange(target)) throw new ModelError('E_TARGET', `Target class ${target} is out of range [0, ${C}).`);
  } else if (Array.isArray(target)) {
    if (n !== null && target.length !== n) throw new ModelError('E_TARGET', `${target.length} target classes for a batch of ${n}.`);
    const bad = target.find((c) => !inRange(c));
    if (bad !== undefined) throw new ModelError('E_TARGET', `Target class ${bad} is out of range [0, ${C}).`);
  } else if (target === 'top1') {
    if (outputShape.length !== 2) throw new ModelError('E_MODEL', `'top1' needs a [N, classes] output, got [${outputShape}].`);
  } else if (typeof target === 'object' && target !== null && ('topK' in target || 'rank' in target)) {
    if (outputShape.length !== 2) throw new ModelError('E_MODEL', `Ranked targets need a [N, classes] output, got [${outputShape}].`);
    const k = 'topK' in target ? target.topK : (target as { rank: number }).rank;
    if (!isInt(k) || k < 1 || (C !== null && k > C)) throw new ModelError('E_TARGET', `Rank ${k} is out of range [1, ${C}].`);
  } else {
    throw new InputError('E_TARGET', `Unknown target ${JSON.stringify(target)}: use a class index, indices per sample, 'top1', {topK}, {rank} or a function.`);
  }
}

/** Builds the score function for `target` (default 'top1'); `outputShape` is the model output's shape. */
export function makeScore(target: Target | undefined, outputShape: readonly (number | null)[], opts: ScoreOptions = {}): ScoreFn {
  checkTarget(target, outputShape);
  const on = opts.on ?? 'logits';
  if (on !== 'logits' && on !== 'probabilities') throw new NameError('scoreOn', String(on), ['logits', 'probabilities']);
  const t = target ?? 'top1';
  return (raw: tf.Tensor): tf.Scalar => {
    const y = on === 'probabilities' ? tf.softmax(raw) : raw;
    if (typeof t === 'function') return tf.sum(t(y));
    const classes = y.shape[y.shape.length - 1];
    // Single-unit heads (a sigmoid) have one score per sample; oneHot refuses depth 1.
    if (classes === 1) return tf.sum(y);
    let mask: tf.Tensor;
    if (typeof t === 'number') {
      mask = tf.oneHot(tf.tensor1d([t], 'int32'), classes).reshape([classes]);
    } else if (Array.isArray(t)) {
      if (t.length !== y.shape[0]) throw new ModelError('E_TARGET', `${t.length} target classes for a batch of ${y.shape[0]}.`);
      const m = tf.oneHot(tf.tensor1d(t as number[], 'int32'), classes);
      mask = y.rank === 2 ? m : m.reshape([y.shape[0], ...new Array(y.rank - 2).fill(1), classes]);
    } else if (t === 'top1') {
      mask = tf.oneHot(tf.cast(topkIndices(1)(y), 'int32').reshape([-1]), classes);
    } else if ('topK' in (t as object)) {
      const k = (t as { topK: number }).topK;
      mask = tf.sum(tf.oneHot(tf.cast(topkIndices(k)(y), 'int32'), classes), 1);
    } else {
      const r = (t as { rank: number }).rank;
      const idx = tf.cast(topkIndices(r)(y), 'int32');
      mask = tf.oneHot(tf.slice(idx, [0, r - 1], [-1, 1]).reshape([-1]), classes);
    }
    return tf.sum(tf.mul(y, tf.cast(mask, y.dtype)));
  };
}

/**
 * The class(es) each sample's score is about, from the output values (row-major [N, C]):
 * one entry per sample, empty for function targets and single-unit heads with no class.
 */
export function resolveTargets(target: Target | undefined, out: ArrayLike<number>, n: number, c: number): number[][] {
  const t = target ?? 'top1';
  if (typeof t === 'function') return t.info?.classesOf ? t.info.classesOf(out, n, c) : Array.from({ length: n }, () => []);
  if (typeof t === 'number') return Array.from({ length: n }, () => [t]);
  if (Array.isArray(t)) return t.map((k) => [k]);
  const ranked = (i: number) =>
    Array.from({ length: c }, (_, j) => j).sort((a, b) => out[i * c + b] - out[i * c + a] || a - b);
  if (t === 'top1') return Array.from({ length: n }, (_, i) => ranked(i).slice(0, 1));
  if ('topK' in (t as object)) return Array.from({ length: n }, (_, i) => ranked(i).slice(0, (t as { topK: number }).topK));
  const r = (t as { rank: number }).rank;
  return Array.from({ length: n }, (_, i) => [ranked(i)[r - 1]]);
}

/**
 * The target for rows start…start+count−1 of a batch (explain's batch slices): per-sample lists are
 * sliced, functions told which samples their rows are (their per-sample arguments follow).
 */
export function targetForRows(target: Target | undefined, start: number, count: number, n: number): Target | undefined {
  if (Array.isArray(target)) return target.slice(start, start + count);
  if (typeof target !== 'function' || (start === 0 && count === n)) return target;
  const rows = Array.from({ length: count }, (_, i) => start + i);
  const fn = target;
  const sub = (output: tf.Tensor, samples?: readonly number[]) => fn(output, samples ? samples.map((j) => rows[j]) : rows);
  const info = fn.info;
  if (!info) return sub;
  return Object.assign(sub, {
    info: { ...info, classesOf: info.classesOf && ((out: ArrayLike<number>, k: number, c: number, samples?: readonly number[]) => info.classesOf!(out, k, c, samples ? samples.map((j) => rows[j]) : rows)), fix: undefined },
  });
}

/** The target applied to softmax(output) (explain's `scoreOn: 'probabilities'`), fixing included. */
export function onProbabilities(fn: TargetFn): TargetFn {
  const wrap = (f: TargetFn): TargetFn => {
    const g = (output: tf.Tensor, samples?: readonly number[]) => tf.tidy(() => f(tf.softmax(output), samples));
    const info = f.info;
    if (!info) return g;
    return Object.assign(g, {
      info: {
        ...info,
        fix: info.fix && (async (output: tf.Tensor) => {
          const p = tf.softmax(output);
          try {
            return wrap(await info.fix!(p));
          } finally {
            p.dispose();
          }
        }),
      },
    });
  };
  return wrap(fn);
}
