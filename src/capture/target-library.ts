// The target library: what a map explains, as plain score functions. Each helper returns
// `(output, samples?) => [N]`, one score per sample of the model output, so that explain() sums it
// for one gradient, perturbation methods read the scores of masked batches, and users can call it
// inside their own tf.grad. Each equals pytorch-grad-cam's target of the same meaning (named in
// `info.pgc`; docs/targets.md has the table).
//
// Rules every helper follows:
// - No gather/gatherND on the differentiated path (their gradient needs UnsortedSegmentSum, which
//   wasm lacks): selections are one-hot masks multiplied in.
// - Choices read from the output (top class, arg-max mask, peaks, comparison classes, best box) are
//   made inside `offTape`, whose gradient is zero: argmax, topk and comparisons have no gradient.
// - Arguments are checked when the helper is made, the output's shape when it is called, both before
//   any tensor is allocated; the work runs in a tidy, so nothing leaks, whether it returns or throws.
// - `samples[j]` is the sample of the caller's batch that output row j belongs to (explain passes
//   the rows of a batch slice, perturbation methods a run of one image's masked copies). Per-sample
//   arguments (one class per sample, per-sample masks, boxes or concepts) are read through it.
import * as tf from '@tensorflow/tfjs-core';
import { InputError, ModelError, OptionError } from '../errors.js';

/** One class for every sample, one class per sample, or each sample's top-scoring class. */
export type ClassArg = number | readonly number[] | 'top1';

/** What a helper made: its name, its pytorch-grad-cam counterpart, and what it can tell about itself. */
export interface TargetInfo {
  /** The helper that made it (e.g. softmaxTarget). */
  readonly name: string;
  /** pytorch-grad-cam's equivalent (class name), or null when it has none. */
  readonly pgc: string | null;
  /** The class(es) each row's score is about (for results), from the output values `out` (row-major, `c` per row). */
  classesOf?(out: ArrayLike<number>, n: number, c: number, samples?: readonly number[]): number[][];
  /**
   * The same target with every choice it reads from the output (top class, arg-max mask, strongest
   * peak, comparison classes) fixed to what `output` gives, one entry per sample of `output`.
   * Perturbation methods fix targets on the clean input, as pytorch-grad-cam builds its targets
   * before perturbing. Absent when the target makes no such choice (or, like the box target,
   * re-matches on every output as pytorch-grad-cam does).
   */
  fix?(output: tf.Tensor): Promise<TargetFn>;
}

/** A score function: `output` [N, …] → [N] (one score per sample; higher-rank results are summed per sample). */
export interface TargetFn {
  (output: tf.Tensor, samples?: readonly number[]): tf.Tensor;
  readonly info?: TargetInfo;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function withInfo(fn: (output: tf.Tensor, samples?: readonly number[]) => tf.Tensor, info: TargetInfo): TargetFn {
  return Object.assign(fn, { info });
}

/**
 * A function of the output whose gradient is zero: the selections made from the output's values
 * (arg-max, top-k, comparisons) have no gradient, and would stop tf.grad on any backend.
 */
function offTape(f: (o: tf.Tensor) => tf.Tensor): (o: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((o: tf.Tensor) => {
    const shape = o.shape.slice();
    return { value: tf.cast(f(o), 'float32'), gradFunc: () => tf.zeros(shape, 'float32') };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (o: tf.Tensor) => tf.Tensor;
}

function checkOutput(output: tf.Tensor, what: string): void {
  if (!output || typeof (output as { dataSync?: unknown }).dataSync !== 'function' || !Array.isArray(output.shape)) {
    throw new InputError('E_SHAPE', `${what}: the model output must be a tf.Tensor.`);
  }
  if (output.isDisposed) throw new InputError('E_DISPOSED', `${what}: the model output is disposed.`);
  if (output.rank < 1) throw new InputError('E_SHAPE', `${what}: the model output must have a batch axis, got a scalar.`);
}

// Rows made up for a call without `samples`: per-sample lists must then match the batch exactly.
const ownRows = new WeakSet<readonly number[]>();

/** The output rows' samples: `samples` checked against the batch, or 0…n−1. */
function rowsOf(n: number, samples: readonly number[] | undefined, what: string): number[] {
  if (samples === undefined) {
    const r = range(n);
    ownRows.add(r);
    return r;
  }
  if (!Array.isArray(samples) || samples.length !== n || !samples.every((s) => isInt(s) && s >= 0)) {
    throw new InputError('E_SHAPE', `${what}: samples must hold one sample index per output row (${n}).`);
  }
  return samples as number[];
}

/** Per-sample values for the rows: list[sample] for each row; E_TARGET when a sample has none. */
function pick<T>(list: readonly T[], rows: readonly number[], what: string): T[] {
  if (ownRows.has(rows) && list.length !== rows.length) throw new ModelError('E_TARGET', `${what}: ${list.length} per-sample entries for a batch of ${rows.length}.`);
  for (const r of rows) {
    if (r >= list.length) throw new ModelError('E_TARGET', `${what}: no entry for sample ${r} (${list.length} given).`);
  }
  return rows.map((r) => list[r]);
}

function checkClassArg(arg: ClassArg, what: string): void {
  if (arg === 'top1') return;
  const list = typeof arg === 'number' ? [arg] : arg;
  if (!Array.isArray(list) || list.length === 0) throw new ModelError('E_TARGET', `${what}: the class must be an index, one index per sample or 'top1', got ${JSON.stringify(arg)}.`);
  const bad = list.find((c) => !isInt(c) || c < 0);
  if (bad !== undefined) throw new ModelError('E_TARGET', `${what}: class ${String(bad)} is not a class index.`);
}

function checkClassRange(arg: ClassArg | readonly number[], C: number, what: string): void {
  if (arg === 'top1') return;
  const list = typeof arg === 'number' ? [arg] : arg;
  const bad = list.find((c) => c >= C);
  if (bad !== undefined) throw new ModelError('E_TARGET', `${what}: class ${bad} is out of range [0, ${C}).`);
}

/** [n, P, C]: the output with its positions (all axes between batch and classes) flattened; rank 1 is one unit per sample. */
function asClasses(output: tf.Tensor): tf.Tensor3D {
  const [n] = output.shape;
  const C = output.rank >= 2 ? output.shape[output.rank - 1] : 1;
  return tf.reshape(output, [n, -1, C]) as tf.Tensor3D;
}

const classCount = (output: tf.Tensor): number => (output.rank >= 2 ? output.shape[output.rank - 1] : 1);
const positions = (output: tf.Tensor): number => (output.rank > 2 ? output.shape.slice(1, -1).reduce((a, b) => a * b, 1) : 1);

/** Each row's class index, resolved on the host ('top1' needs the output: see classMask). */
function rowClasses(arg: number | readonly number[], rows: readonly number[], what: string): number[] {
  return typeof arg === 'number' ? rows.map(() => arg) : pick(arg, rows, what);
}

/** [n, 1, C] one-hot rows of each row's class: constants, or the top class cut off the tape. */
function classMask(arg: ClassArg, z3: tf.Tensor3D, rows: readonly number[], what: string): tf.Tensor {
  const [n, , C] = z3.shape;
  if (arg === 'top1') {
    return tf.reshape(offTape((z) => tf.oneHot(tf.argMax(tf.reshape(z, [n, C]), 1), C))(z3), [n, 1, C]);
  }
  const idx = rowClasses(arg, rows, what);
  return tf.reshape(tf.oneHot(tf.tensor1d(idx, 'int32'), C), [n, 1, C]);
}

/** Classes of a class argument per row from the output values (host side, for results). */
function classesFrom(arg: ClassArg, out: ArrayLike<number>, n: number, c: number, samples?: readonly number[]): number[][] {
  const rows = samples ?? range(n);
  if (arg === 'top1') {
    return range(n).map((i) => {
      let best = 0;
      for (let k = 1; k < c; k++) if (out[i * c + k] > out[i * c + best]) best = k;
      return [best];
    });
  }
  return rows.map((r) => [typeof arg === 'number' ? arg : (arg[r] ?? -1)]);
}

/** The fixed version of a class argument: 'top1' read from the output, the rest unchanged. */
async function fixClasses(arg: ClassArg, output: tf.Tensor): Promise<number | readonly number[]> {
  if (arg !== 'top1') return arg;
  const t = tf.tidy(() => tf.argMax(tf.reshape(output, [output.shape[0], -1]), 1));
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/**
 * The class family: `perClass(z)` ([n, P, C] → [n, P, C]) read at each row's class, summed over the
 * positions P (1 for an [N, C] output).
 */
function classFamily(name: string, pgc: string | null, arg: ClassArg, perClass: (z3: tf.Tensor3D) => tf.Tensor): TargetFn {
  const what = `${name}(${JSON.stringify(arg)})`;
  checkClassArg(arg, what);
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    const C = classCount(output);
    checkClassRange(arg, C, what);
    if (arg === 'top1' && positions(output) > 1) throw new ModelError('E_TARGET', `${what}: 'top1' needs an [N, classes] output, got [${output.shape}].`);
    const rows = rowsOf(output.shape[0], samples, what);
    return tf.tidy(() => {
      const z3 = asClasses(output);
      return tf.sum(tf.mul(perClass(z3), classMask(arg, z3, rows, what)), [1, 2]);
    });
  };
  const info: TargetInfo = {
    name,
    pgc,
    classesOf: (out, n, c, samples) => classesFrom(arg, out, n, c, samples),
  };
  if (arg === 'top1') (info as { fix?: TargetInfo['fix'] }).fix = async (output) => classFamily(name, pgc, await fixClasses(arg, output), perClass);
  return withInfo(fn, info);
}

// ---------------------------------------------------------------------------------------------------
// Classification

/**
 * The raw score of class `c` (pytorch-grad-cam's ClassifierOutputTarget; today's default target).
 * `c`: one class, one per sample, or 'top1'. On an [N, …, C] output the class's scores are summed over the positions.
 */
export function classTarget(c: ClassArg = 'top1'): TargetFn {
  return classFamily('classTarget', 'ClassifierOutputTarget', c, (z) => z);
}

/** The softmax probability of class `c` over the last axis (ClassifierOutputSoftmaxTarget). */
export function softmaxTarget(c: ClassArg = 'top1'): TargetFn {
  return classFamily('softmaxTarget', 'ClassifierOutputSoftmaxTarget', c, (z) => tf.softmax(z));
}

/**
 * ReST (ClassifierOutputReST, the target of Shapley-CAM): z_c − CE(z, c) = 2·z_c − logsumexp(z),
 * computed as z_c + log softmax(z)_c (stable, and its gradient 2·δ_c − softmax(z) exact).
 */
export function restTarget(c: ClassArg = 'top1'): TargetFn {
  return classFamily('restTarget', 'ClassifierOutputReST', c, (z) => tf.add(z, tf.logSoftmax(z)));
}

/**
 * The summed raw scores of `classes` (several classes at once). Without classes, the whole output of
 * each sample, as pytorch-grad-cam's RawScoresOutputTarget: that needs one output unit per sample
 * (pytorch-grad-cam fails on a multi-unit output, and camkit refuses it: E_TARGET).
 */
export function rawScoresTarget(classes?: readonly number[]): TargetFn {
  const what = `rawScoresTarget(${classes ? JSON.stringify(classes) : ''})`;
  if (classes !== undefined) {
    if (!Array.isArray(classes) || classes.length === 0) throw new ModelError('E_TARGET', `${what}: give a non-empty list of class indices, or none.`);
    checkClassArg(classes, what);
  }
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    const n = output.shape[0];
    rowsOf(n, samples, what);
    const C = classCount(output);
    if (classes === undefined) {
      if (output.size !== n) {
        throw new ModelError('E_TARGET', `${what}: the output has ${output.size / n} values per sample; the whole output is a score only for a one-unit head. Pass the classes to sum: rawScoresTarget([1, 2]).`);
      }
      return tf.tidy(() => tf.reshape(output, [n]));
    }
    checkClassRange(classes, C, what);
    return tf.tidy(() => {
      const mask = tf.sum(tf.oneHot(tf.tensor1d(classes as number[], 'int32'), C), 0);
      return tf.sum(tf.mul(asClasses(output), mask), [1, 2]);
    });
  };
  return withInfo(fn, { name: 'rawScoresTarget', pgc: 'RawScoresOutputTarget', classesOf: (_o, n) => range(n).map(() => (classes ? [...classes] : [0])) });
}

/**
 * Binary classifiers and regressors (BinaryClassifierOutputTarget): +y for category 1, −y for
 * category 0, with y the output of a one-unit head, or its unit `unit` when the head has several.
 */
export function binaryTarget(category: 0 | 1, unit?: number): TargetFn {
  const what = `binaryTarget(${category}${unit === undefined ? '' : `, ${unit}`})`;
  if (category !== 0 && category !== 1) throw new ModelError('E_TARGET', `${what}: the category must be 1 (+y) or 0 (−y).`);
  if (unit !== undefined && !(isInt(unit) && unit >= 0)) throw new ModelError('E_TARGET', `${what}: the unit must be an index.`);
  const sign = category === 1 ? 1 : -1;
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    const n = output.shape[0];
    rowsOf(n, samples, what);
    const C = classCount(output);
    if (unit === undefined && output.size !== n) {
      throw new ModelError('E_TARGET', `${what}: the output has ${output.size / n} values per sample; pick the unit: binaryTarget(${category}, unit).`);
    }
    if (unit !== undefined) checkClassRange(unit, C, what);
    return tf.tidy(() => {
      if (unit === undefined) return tf.mul(tf.reshape(output, [n]), sign);
      const mask = tf.mul(tf.oneHot(tf.tensor1d([unit], 'int32'), C), sign);
      return tf.sum(tf.mul(asClasses(output), mask), [1, 2]);
    });
  };
  return withInfo(fn, { name: 'binaryTarget', pgc: 'BinaryClassifierOutputTarget', classesOf: (_o, n) => range(n).map(() => [unit ?? 0]) });
}

export interface FinerOptions {
  /** Weight of the comparison classes' scores (pytorch-grad-cam's default 1). */
  alpha?: number;
  /** Positions in the order by |z − z_c| (0 is the class itself) of the classes to compare with; default [1, 2, 3]. */
  comparisons?: readonly number[];
}

/**
 * Finer-CAM's comparison target (FinerWeightedTarget as FinerCAM.forward builds it): the classes
 * ordered by |z_k − z_c| ascending (ties: lower index first); main = the first (c itself unless
 * tied), the comparison classes those at `comparisons` positions (default 1, 2, 3);
 * T = Σ_k p_k (z_main − α·z_k) / (Σ_k p_k + 1e-9) with p = softmax(z), p differentiated too.
 * c: the class to explain (default: the top class, as pgc does without target_idx).
 */
export function finerTarget(c: ClassArg = 'top1', opts: FinerOptions = {}): TargetFn {
  const what = `finerTarget(${JSON.stringify(c)})`;
  checkClassArg(c, what);
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new OptionError(`${what}: alpha must be a finite number, got ${String(alpha)}.`);
  const comps = opts.comparisons ?? [1, 2, 3];
  if (!Array.isArray(comps) || comps.length === 0 || !comps.every((k) => isInt(k) && k >= 1)) {
    throw new OptionError(`${what}: comparisons must be a non-empty list of positions ≥ 1, got ${JSON.stringify(comps)}.`);
  }
  const depth = Math.max(...comps) + 1;
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    if (output.rank !== 2) throw new ModelError('E_TARGET', `${what}: needs an [N, classes] output, got [${output.shape}].`);
    const [n, C] = output.shape as [number, number];
    checkClassRange(c, C, what);
    if (depth > C) throw new ModelError('E_TARGET', `${what}: comparison position ${depth - 1} needs at least ${depth} classes, the output has ${C}.`);
    const rows = rowsOf(n, samples, what);
    return tf.tidy(() => {
      const z = output as tf.Tensor2D;
      const zc = tf.sum(tf.mul(z, tf.reshape(classMask(c, asClasses(z), rows, what), [n, C])), 1, true);
      // [n, depth] classes ordered by |z − z_c| (topk of the negated distance: ties keep the lower index first).
      const order = offTape((d) => tf.topk(tf.neg(d), depth).indices)(tf.abs(tf.sub(z, zc)));
      const oh = (pos: number) => tf.oneHot(tf.cast(tf.reshape(tf.slice(order, [0, pos], [n, 1]), [n]), 'int32'), C);
      const main = tf.sum(tf.mul(z, oh(0)), 1);
      const p = tf.softmax(z);
      let num: tf.Tensor = tf.zeros([n]);
      let den: tf.Tensor = tf.zeros([n]);
      for (const k of comps) {
        const m = oh(k);
        const pk = tf.sum(tf.mul(p, m), 1);
        num = tf.add(num, tf.mul(pk, tf.sub(main, tf.mul(alpha, tf.sum(tf.mul(z, m), 1)))));
        den = tf.add(den, pk);
      }
      return tf.div(num, tf.add(den, 1e-9));
    });
  };
  return withInfo(fn, {
    name: 'finerTarget',
    pgc: 'FinerWeightedTarget',
    classesOf: (out, n, cc, samples) => classesFrom(c, out, n, cc, samples),
    fix: async (output) => {
      // The comparison classes are chosen on this output, then stay: FinerCAM.forward builds its targets once.
      const t = tf.tidy(() => {
        const [n, C] = output.shape as [number, number];
        const zc = tf.sum(tf.mul(output, tf.reshape(classMask(c, asClasses(output), range(n), what), [n, C])), 1, true);
        return tf.topk(tf.neg(tf.abs(tf.sub(output, zc))), depth).indices;
      });
      let order: Int32Array;
      try {
        order = (await t.data()) as Int32Array;
      } finally {
        t.dispose();
      }
      const n = output.shape[0];
      const main = range(n).map((i) => order[i * depth]);
      const compsOf = range(n).map((i) => comps.map((k) => order[i * depth + k]));
      return finerFixed(main, compsOf, alpha, what, c);
    },
  });
}

/** Finer-CAM's target with the main and comparison classes of each sample given. */
function finerFixed(main: number[], comps: number[][], alpha: number, what: string, c: ClassArg): TargetFn {
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    if (output.rank !== 2) throw new ModelError('E_TARGET', `${what}: needs an [N, classes] output, got [${output.shape}].`);
    const [n, C] = output.shape as [number, number];
    const rows = rowsOf(n, samples, what);
    const m = pick(main, rows, what), k = pick(comps, rows, what);
    return tf.tidy(() => {
      const z = output;
      const zm = tf.sum(tf.mul(z, tf.oneHot(tf.tensor1d(m, 'int32'), C)), 1);
      const p = tf.softmax(z);
      let num: tf.Tensor = tf.zeros([n]);
      let den: tf.Tensor = tf.zeros([n]);
      for (let j = 0; j < k[0].length; j++) {
        const mk = tf.oneHot(tf.tensor1d(k.map((r) => r[j]), 'int32'), C);
        const pk = tf.sum(tf.mul(p, mk), 1);
        num = tf.add(num, tf.mul(pk, tf.sub(zm, tf.mul(alpha, tf.sum(tf.mul(z, mk), 1)))));
        den = tf.add(den, pk);
      }
      return tf.div(num, tf.add(den, 1e-9));
    });
  };
  return withInfo(fn, { name: 'finerTarget', pgc: 'FinerWeightedTarget', classesOf: (out, n, cc, samples) => (c === 'top1' ? (samples ?? range(n)).map((r) => [main[r]]) : classesFrom(c, out, n, cc, samples)) });
}

// ---------------------------------------------------------------------------------------------------
// Dense outputs: segmentation and centre-heatmap detectors ([N, …positions, C])

/** A mask over the output positions: [H, W] (every sample) or [N, H, W] nested arrays, flat values with a shape, or a tensor. */
export type MaskArg = tf.Tensor | readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[] | { readonly data: ArrayLike<number>; readonly shape: readonly number[] };

/** A mask on the host: [...positions] for every sample, or [N, ...positions]. */
interface HostMask {
  data: Float32Array;
  shape: number[];
}

/** Nested arrays → flat values and shape (every row of one length). */
function flatten(a: unknown, what: string): { data: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let x: unknown = a; Array.isArray(x); x = x[0]) shape.push(x.length);
  const data: number[] = [];
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof x !== 'number') throw new InputError('E_SHAPE', `${what}: a mask holds numbers in nested arrays of equal lengths.`);
      data.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) throw new InputError('E_SHAPE', `${what}: a mask holds numbers in nested arrays of equal lengths.`);
    for (const y of x) walk(y, d + 1);
  };
  walk(a, 0);
  return { data, shape };
}

/** A host mask from nested arrays or {data, shape}; tensors stay tensors (the caller's). */
function hostMask(mask: Exclude<MaskArg, tf.Tensor>, what: string): HostMask {
  let data: ArrayLike<number>, shape: number[];
  if (Array.isArray(mask)) {
    ({ data, shape } = flatten(mask, what));
  } else {
    const m = mask as { data: ArrayLike<number>; shape: readonly number[] };
    if (!m || !m.data || !Array.isArray(m.shape)) throw new InputError('E_SHAPE', `${what}: a mask is nested arrays, {data, shape} or a tensor.`);
    data = m.data;
    shape = [...m.shape];
  }
  if (shape.length < 1 || !shape.every((d) => isInt(d) && d > 0)) throw new InputError('E_SHAPE', `${what}: the mask shape [${shape}] is not valid.`);
  const total = shape.reduce((a, b) => a * b, 1);
  if (data.length !== total) throw new InputError('E_SHAPE', `${what}: the mask has ${data.length} values for shape [${shape}].`);
  const arr = Float32Array.from(data);
  if (!arr.every(Number.isFinite)) throw new InputError('E_NONFINITE', `${what}: the mask holds a non-finite value.`);
  return { data: arr, shape };
}

/**
 * The mask for the rows, as [n, P, 1]: a per-sample mask ([N, …positions]) is read at each row's
 * sample, a single one ([…positions]) broadcast.
 */
function rowMask(mask: HostMask | tf.Tensor, posShape: readonly number[], rows: readonly number[], what: string): tf.Tensor {
  const P = posShape.reduce((a, b) => a * b, 1);
  const shape = mask instanceof tf.Tensor ? mask.shape : mask.shape;
  const perSample = shape.length === posShape.length + 1;
  const ok = (perSample ? shape.slice(1) : shape).join() === posShape.join();
  if (!ok) throw new InputError('E_SHAPE', `${what}: the mask is [${shape}], the output positions are [${posShape}] (give [${posShape}] or [N, ${posShape}]).`);
  const n = rows.length;
  if (mask instanceof tf.Tensor) {
    if (!perSample) return tf.reshape(tf.cast(mask, 'float32'), [1, P, 1]);
    const count = shape[0];
    pick(range(count), rows, what);
    // The mask is a constant (not on the differentiated path), so reading rows by gather is safe here.
    return tf.reshape(tf.gather(tf.reshape(tf.cast(mask, 'float32'), [count, P]), tf.tensor1d(rows as number[], 'int32')), [n, P, 1]);
  }
  if (!perSample) return tf.tensor3d(mask.data, [1, P, 1]);
  const count = shape[0];
  pick(range(count), rows, what);
  const out = new Float32Array(n * P);
  rows.forEach((r, j) => out.set(mask.data.subarray(r * P, (r + 1) * P), j * P));
  return tf.tensor3d(out, [n, P, 1]);
}

/** Σ over positions of output[…, c] ⊙ mask, per row, with `c` one category or one per sample. */
function channelScore(output: tf.Tensor, c: number | readonly number[], mask: tf.Tensor, rows: readonly number[], what: string): tf.Tensor {
  const [n] = output.shape;
  const C = classCount(output);
  const z3 = asClasses(output);
  const sel = tf.reshape(tf.oneHot(tf.tensor1d(rowClasses(c, rows, what), 'int32'), C), [n, 1, C]);
  return tf.sum(tf.mul(tf.mul(z3, sel), mask), [1, 2]);
}

function checkDense(output: tf.Tensor, what: string): number[] {
  checkOutput(output, what);
  if (output.rank < 3) throw new ModelError('E_TARGET', `${what}: needs a dense output [N, …positions, classes], got [${output.shape}].`);
  return output.shape.slice(1, -1);
}

/** 0/1 [n, …positions] where each position's arg-max class (over softmax, as the pgc tutorial) is the row's category. */
function argmaxMask(output: tf.Tensor, category: number | readonly number[], rows: readonly number[], what: string): tf.Tensor {
  const cats = rowClasses(category, rows, what);
  const n = output.shape[0];
  const catT = tf.reshape(tf.tensor1d(cats, 'float32'), [n, ...output.shape.slice(1, -1).map(() => 1)]);
  return offTape((o) => tf.equal(tf.cast(tf.argMax(tf.softmax(o), -1), 'float32'), catT))(output);
}

/**
 * The model's own segmentation mask for `category`: 1 where the arg-max class over softmax(output)
 * (the pytorch-grad-cam tutorial's rule) is the category, else 0. output [N, …positions, C] →
 * [N, …positions] float32 (the caller disposes it). `category`: one class or one per sample.
 */
export function segmentationMask(output: tf.Tensor, category: number | readonly number[]): tf.Tensor {
  const what = `segmentationMask(${JSON.stringify(category)})`;
  checkClassArg(category, what);
  checkDense(output, what);
  checkClassRange(category, classCount(output), what);
  const rows = rowsOf(output.shape[0], undefined, what);
  if (Array.isArray(category)) pick(category, rows, what);
  return tf.tidy(() => argmaxMask(output, category, rows, what));
}

/**
 * Semantic segmentation (SemanticSegmentationTarget): Σ over positions of output[…, category] ⊙ mask,
 * on a dense output [N, …positions, C] (NHWC). `mask`: [H, W] for every sample or [N, H, W] per
 * sample; when omitted, the model's own arg-max mask for the category (segmentationMask), read from
 * the output it is given (perturbation methods fix it on the clean input, as pgc's tutorial does).
 */
export function segmentationTarget(category: number | readonly number[], mask?: MaskArg): TargetFn {
  const what = `segmentationTarget(${JSON.stringify(category)})`;
  checkClassArg(category, what);
  if ((category as unknown) === 'top1') throw new ModelError('E_TARGET', `${what}: give the category to explain.`);
  if (mask !== undefined) return maskedTarget('segmentationTarget', 'SemanticSegmentationTarget', category, mask, what);
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkDense(output, what);
    checkClassRange(category, classCount(output), what);
    const rows = rowsOf(output.shape[0], samples, what);
    if (Array.isArray(category)) pick(category, rows, what);
    return tf.tidy(() => channelScore(output, category, tf.reshape(argmaxMask(output, category, rows, what), [output.shape[0], -1, 1]), rows, what));
  };
  return withInfo(fn, {
    name: 'segmentationTarget',
    pgc: 'SemanticSegmentationTarget',
    classesOf: (o, n, c, s) => classesFrom(category, o, n, c, s),
    fix: async (output) => maskedTarget('segmentationTarget', 'SemanticSegmentationTarget', category, await readMask(() => segmentationMask(output, category)), what),
  });
}

/** Σ over positions of output[…, category] ⊙ a given mask (segmentation with a mask, fixed heatmap peaks). */
function maskedTarget(name: string, pgc: string | null, category: number | readonly number[], mask: MaskArg, what: string): TargetFn {
  const m = mask instanceof tf.Tensor ? mask : hostMask(mask, what);
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    const pos = checkDense(output, what);
    checkClassRange(category, classCount(output), what);
    if (m instanceof tf.Tensor && m.isDisposed) throw new InputError('E_DISPOSED', `${what}: the mask tensor is disposed.`);
    const rows = rowsOf(output.shape[0], samples, what);
    if (Array.isArray(category)) pick(category, rows, what);
    return tf.tidy(() => channelScore(output, category, rowMask(m, pos, rows, what), rows, what));
  };
  return withInfo(fn, { name, pgc, classesOf: (o, n, c, s) => classesFrom(category, o, n, c, s) });
}

async function readMask(make: () => tf.Tensor): Promise<{ data: Float32Array; shape: number[] }> {
  const t = make();
  try {
    return { data: Float32Array.from((await t.data()) as Float32Array), shape: t.shape.slice() };
  } finally {
    t.dispose();
  }
}

/** A point on the output grid (column x, row y; cell indices). */
export interface GridPoint {
  readonly x: number;
  readonly y: number;
}

/** A box [x1, y1, x2, y2]. On a heatmap grid: the cells with x1 ≤ x < x2 and y1 ≤ y < y2. */
export type Box = readonly [number, number, number, number];

export interface HeatmapOptions {
  /** Score at this cell (or one cell per sample) instead of the strongest peak. */
  at?: GridPoint | readonly GridPoint[];
  /** Sum over the peaks (3×3 local maxima, as CenterNet decodes) inside this box (or one box per sample). */
  box?: Box | readonly Box[];
  /** With `box`: only peaks whose value is above this. */
  threshold?: number;
}

/**
 * Centre-heatmap detectors (CenterNet-style output [N, H, W, C], one heatmap channel per class; no
 * pytorch-grad-cam counterpart): the score of class `c` at its strongest peak (default), at a given
 * cell (`at`), or summed over the peaks inside a box (`box`). Peak positions are read off the tape;
 * perturbation methods fix them on the clean input.
 */
export function heatmapTarget(c: number | readonly number[], opts: HeatmapOptions = {}): TargetFn {
  const what = `heatmapTarget(${JSON.stringify(c)})`;
  checkClassArg(c, what);
  if ((c as unknown) === 'top1') throw new ModelError('E_TARGET', `${what}: give the class to explain.`);
  if (opts.at !== undefined && opts.box !== undefined) throw new OptionError(`${what}: give either at or box, not both.`);
  const atList = opts.at !== undefined && Array.isArray(opts.at);
  const at = opts.at === undefined ? null : atList ? (opts.at as readonly GridPoint[]) : [opts.at as GridPoint];
  const boxList = Array.isArray(opts.box) && Array.isArray((opts.box as unknown[])[0]);
  const box = opts.box === undefined ? null : boxList ? (opts.box as readonly Box[]) : [opts.box as Box];
  if (at && !at.every((p) => p && isInt(p.x) && isInt(p.y) && p.x >= 0 && p.y >= 0)) throw new OptionError(`${what}: at must be {x, y} cell indices.`);
  if (box && !box.every((b) => Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v)))) throw new OptionError(`${what}: box must be [x1, y1, x2, y2].`);
  const thr = opts.threshold;
  if (thr !== undefined && (typeof thr !== 'number' || Number.isNaN(thr))) throw new OptionError(`${what}: threshold must be a number.`);

  /** [n, H·W, 1] the cells the score reads, after the checks. */
  const cells = (output: tf.Tensor, rows: readonly number[]): tf.Tensor => {
    const [n, H, W, C] = output.shape;
    if (at) {
      const pts = atList ? pick(at, rows, what) : rows.map(() => at[0]);
      return tf.reshape(tf.oneHot(tf.tensor1d(pts.map((p) => p.y * W + p.x), 'int32'), H * W), [n, H * W, 1]);
    }
    const chan = tf.reshape(tf.oneHot(tf.tensor1d(rowClasses(c, rows, what), 'int32'), C), [n, 1, 1, C]);
    if (!box) return tf.reshape(offTape((o) => tf.oneHot(tf.argMax(tf.reshape(tf.sum(tf.mul(o, chan), 3), [n, H * W]), 1), H * W))(output), [n, H * W, 1]);
    const boxes = boxList ? pick(box, rows, what) : rows.map(() => box[0]);
    const inside = new Float32Array(n * H * W);
    boxes.forEach((b, j) => {
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (x >= b[0] && x < b[2] && y >= b[1] && y < b[3]) inside[j * H * W + y * W + x] = 1;
    });
    const inT = tf.tensor4d(inside, [n, H, W, 1]);
    const peaks = offTape((o) => {
      const v = tf.sum(tf.mul(o, chan), 3, true) as tf.Tensor4D;
      let p = tf.logicalAnd(tf.equal(v, tf.maxPool(v, 3, 1, 'same')), tf.cast(inT, 'bool'));
      if (thr !== undefined) p = tf.logicalAnd(p, tf.greater(v, thr));
      return p;
    })(output);
    return tf.reshape(peaks, [n, H * W, 1]);
  };
  const checked = (output: tf.Tensor, samples: readonly number[] | undefined): number[] => {
    checkOutput(output, what);
    if (output.rank !== 4) throw new ModelError('E_TARGET', `${what}: needs a heatmap output [N, H, W, C], got [${output.shape}].`);
    const [n, H, W, C] = output.shape;
    checkClassRange(c, C, what);
    const rows = rowsOf(n, samples, what);
    if (Array.isArray(c)) pick(c, rows, what);
    if (at) for (const p of atList ? pick(at, rows, what) : at) if (p.x >= W || p.y >= H) throw new ModelError('E_TARGET', `${what}: cell (${p.x}, ${p.y}) is outside the ${W}×${H} grid.`);
    if (box && boxList) pick(box, rows, what);
    return rows;
  };
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    const rows = checked(output, samples);
    return tf.tidy(() => channelScore(output, c, cells(output, rows), rows, what));
  };
  const info: TargetInfo = { name: 'heatmapTarget', pgc: null, classesOf: (o, n, cc, s) => classesFrom(c, o, n, cc, s) };
  if (!at) {
    (info as { fix?: TargetInfo['fix'] }).fix = async (output) => {
      const rows = checked(output, undefined);
      const [n, H, W] = output.shape;
      const m = await readMask(() => tf.tidy(() => tf.reshape(cells(output, rows), [n, H, W])));
      return maskedTarget('heatmapTarget', null, c, m, what);
    };
  }
  return withInfo(fn, info);
}

// ---------------------------------------------------------------------------------------------------
// Box-regression detectors

/** What a decode function returns for the rows of a raw (pre-NMS) output: P candidate boxes per row. */
export interface Detections {
  /** [n, P, 4] boxes (x1, y1, x2, y2), differentiable with respect to the output. */
  boxes: tf.Tensor;
  /** [n, P] scores, differentiable. */
  scores: tf.Tensor;
  /** [n, P] class labels (any numeric dtype; read off the tape). */
  labels: tf.Tensor;
}

export interface BoxTargetOptions {
  /** Turns the model's raw output (before NMS: it is not differentiable) into candidate boxes, scores and labels. */
  decode: (output: tf.Tensor) => Detections;
  /** Reference boxes [x1, y1, x2, y2] (one list for every sample, or one list per sample). */
  boxes: readonly Box[] | readonly (readonly Box[])[];
  /** The label of each reference box (one list, or one per sample). */
  labels: readonly number[] | readonly (readonly number[])[];
  /** Matches count when their IoU is above this (default 0.5). */
  iouThreshold?: number;
}

/**
 * Box-regression detectors (FasterRCNNBoxScoreTarget): for each reference box, the candidate of
 * best IoU (first on ties); when that IoU is above the threshold and its label is the reference's,
 * IoU + score is added. Candidates are re-matched on every output, as pytorch-grad-cam does.
 */
export function boxTarget(opts: BoxTargetOptions): TargetFn {
  const what = 'boxTarget';
  if (!opts || typeof opts.decode !== 'function') throw new OptionError(`${what}: decode must be a function (output) => {boxes, scores, labels}.`);
  const perSample = Array.isArray(opts.boxes) && Array.isArray((opts.boxes as unknown[])[0]) && Array.isArray(((opts.boxes as unknown[])[0] as unknown[])[0]);
  const boxLists = (perSample ? opts.boxes : [opts.boxes]) as readonly (readonly Box[])[];
  const labelLists = (perSample ? opts.labels : [opts.labels]) as readonly (readonly number[])[];
  if (!Array.isArray(opts.labels) || boxLists.length !== labelLists.length || boxLists.some((b, i) => !Array.isArray(b) || !Array.isArray(labelLists[i]) || b.length !== labelLists[i].length)) {
    throw new OptionError(`${what}: give one label per reference box (and as many lists of labels as of boxes).`);
  }
  if (!boxLists.every((l) => l.every((b) => Array.isArray(b) && b.length === 4 && b.every(Number.isFinite)))) throw new OptionError(`${what}: boxes must be [x1, y1, x2, y2].`);
  if (!labelLists.every((l) => l.every((v) => typeof v === 'number' && Number.isFinite(v)))) throw new OptionError(`${what}: labels must be numbers.`);
  const thr = opts.iouThreshold ?? 0.5;
  if (typeof thr !== 'number' || !Number.isFinite(thr)) throw new OptionError(`${what}: iouThreshold must be a finite number.`);
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    const n = output.shape[0];
    const rows = rowsOf(n, samples, what);
    const refs = perSample ? pick(boxLists, rows, what) : rows.map(() => boxLists[0]);
    const labs = perSample ? pick(labelLists, rows, what) : rows.map(() => labelLists[0]);
    return tf.tidy(() => {
      const d = opts.decode(output);
      if (!d || !(d.boxes instanceof tf.Tensor) || !(d.scores instanceof tf.Tensor) || !(d.labels instanceof tf.Tensor)) {
        throw new InputError('E_SHAPE', `${what}: decode must return {boxes, scores, labels} tensors.`);
      }
      const P = d.boxes.shape[1] ?? 0;
      if (d.boxes.rank !== 3 || d.boxes.shape[0] !== n || d.boxes.shape[2] !== 4 || d.scores.shape.join() !== `${n},${P}` || d.labels.shape.join() !== `${n},${P}`) {
        throw new InputError('E_SHAPE', `${what}: decode must return boxes [${n}, P, 4], scores and labels [${n}, P]; got [${d.boxes.shape}], [${d.scores.shape}], [${d.labels.shape}].`);
      }
      const R = Math.max(0, ...refs.map((r) => r.length));
      if (P === 0 || R === 0) return tf.zeros([n]);
      // [n, R, 4] references (padded rows have label NaN: they never match).
      const refData = new Float32Array(n * R * 4), refLab = new Float32Array(n * R).fill(NaN);
      refs.forEach((list, j) => list.forEach((b, r) => {
        refData.set(b, (j * R + r) * 4);
        refLab[j * R + r] = labs[j][r];
      }));
      const ref = tf.tensor3d(refData, [n, R, 4]);
      const iou = boxIou(ref, d.boxes as tf.Tensor3D); // [n, R, P]
      const labels = tf.cast(d.labels, 'float32');
      // Which candidate each reference takes, and whether it counts: decided off the tape.
      const take = offTape((u) => {
        const best = tf.oneHot(tf.argMax(u, 2), P); // [n, R, P]
        const bestIou = tf.sum(tf.mul(u, best), 2);
        const bestLab = tf.sum(tf.mul(tf.reshape(labels, [n, 1, P]), best), 2);
        const counts = tf.logicalAnd(tf.greater(bestIou, thr), tf.equal(bestLab, tf.tensor2d(refLab, [n, R])));
        return tf.mul(best, tf.reshape(tf.cast(counts, 'float32'), [n, R, 1]));
      })(iou);
      const perRef = tf.mul(take, tf.add(iou, tf.reshape(d.scores, [n, 1, P])));
      return tf.sum(perRef, [1, 2]);
    });
  };
  return withInfo(fn, { name: 'boxTarget', pgc: 'FasterRCNNBoxScoreTarget', classesOf: (_o, n, _c, s) => (s ?? range(n)).map((r) => [...(perSample ? (labelLists[r] ?? []) : labelLists[0])]) });
}

/**
 * IoU of every reference box with every candidate, as torchvision's box_iou (no epsilon):
 * a [n, R, 4], b [n, P, 4] (x1, y1, x2, y2) → [n, R, P]. Differentiable in both.
 */
export function boxIou(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, R] = a.shape, P = b.shape[1];
    const part = (t: tf.Tensor3D, k: number, m: number, axis: 1 | 2) => {
      const col = tf.reshape(tf.sum(tf.mul(t, tf.oneHot(tf.tensor1d([k], 'int32'), 4)), 2), [n, m]);
      return axis === 1 ? tf.reshape(col, [n, m, 1]) : tf.reshape(col, [n, 1, m]);
    };
    const [ax1, ay1, ax2, ay2] = [0, 1, 2, 3].map((k) => part(a, k, R, 1));
    const [bx1, by1, bx2, by2] = [0, 1, 2, 3].map((k) => part(b, k, P, 2));
    // tfjs's Minimum/Maximum gradients do not reduce broadcast axes: broadcast by an add first.
    const full = tf.zeros([n, R, P]);
    const at = (t: tf.Tensor) => tf.add(t, full);
    const w = tf.relu(tf.sub(tf.minimum(at(ax2), at(bx2)), tf.maximum(at(ax1), at(bx1))));
    const h = tf.relu(tf.sub(tf.minimum(at(ay2), at(by2)), tf.maximum(at(ay1), at(by1))));
    const inter = tf.mul(w, h);
    const areaA = tf.mul(tf.sub(ax2, ax1), tf.sub(ay2, ay1));
    const areaB = tf.mul(tf.sub(bx2, bx1), tf.sub(by2, by1));
    return tf.div(inter, tf.sub(tf.add(areaA, areaB), inter)) as tf.Tensor3D;
  });
}

// ---------------------------------------------------------------------------------------------------
// Embeddings

/**
 * Feature extractors: the cosine similarity of each sample's output (flattened) to a concept
 * vector (the pgc tutorial's SimilarityToConceptTarget, torch's CosineSimilarity with eps 1e-8).
 * `concept`: one vector for every sample, or one per sample ([N][D]), or a tensor [D] / [N, D].
 */
export function similarityTarget(concept: ArrayLike<number> | readonly ArrayLike<number>[] | tf.Tensor): TargetFn {
  const what = 'similarityTarget';
  let host: { data: Float32Array; count: number; D: number } | null = null;
  let tensor: tf.Tensor | null = null;
  if (concept instanceof tf.Tensor) {
    if (concept.rank !== 1 && concept.rank !== 2) throw new InputError('E_SHAPE', `${what}: the concept is [D] or [N, D], got [${concept.shape}].`);
    tensor = concept;
  } else {
    const list = Array.isArray(concept) && typeof concept[0] !== 'number' ? (concept as readonly ArrayLike<number>[]) : [concept as ArrayLike<number>];
    const D = list[0]?.length ?? 0;
    if (D === 0 || list.some((v) => !v || v.length !== D)) throw new InputError('E_SHAPE', `${what}: the concept vectors must be non-empty and of one length.`);
    const data = new Float32Array(list.length * D);
    list.forEach((v, i) => data.set(Array.from(v), i * D));
    if (!data.every(Number.isFinite)) throw new InputError('E_NONFINITE', `${what}: the concept holds a non-finite value.`);
    host = { data, count: Array.isArray(concept) && typeof concept[0] !== 'number' ? list.length : 1, D };
  }
  const perSample = host ? host.count > 1 || (Array.isArray(concept) && typeof concept[0] !== 'number') : tensor!.rank === 2;
  const fn = (output: tf.Tensor, samples?: readonly number[]): tf.Tensor => {
    checkOutput(output, what);
    if (tensor?.isDisposed) throw new InputError('E_DISPOSED', `${what}: the concept tensor is disposed.`);
    const n = output.shape[0];
    const D = output.size / n;
    const cD = host ? host.D : tensor!.shape[tensor!.rank - 1];
    if (cD !== D) throw new InputError('E_SHAPE', `${what}: the concept has ${cD} values, the output ${D} per sample.`);
    const rows = rowsOf(n, samples, what);
    const count = host ? host.count : tensor!.rank === 2 ? tensor!.shape[0] : 1;
    if (perSample) pick(range(count), rows, what);
    return tf.tidy(() => {
      const o = tf.reshape(output, [n, D]);
      let v: tf.Tensor;
      if (host) {
        if (!perSample) v = tf.tensor2d(host.data, [1, D]);
        else {
          const out = new Float32Array(n * D);
          rows.forEach((r, j) => out.set(host!.data.subarray(r * D, (r + 1) * D), j * D));
          v = tf.tensor2d(out, [n, D]);
        }
      } else {
        const t = tf.cast(tensor!, 'float32');
        v = perSample ? tf.gather(t, tf.tensor1d(rows as number[], 'int32')) : tf.reshape(t, [1, D]);
      }
      const dot = tf.sum(tf.mul(o, v), 1);
      const norms = tf.mul(tf.sum(tf.square(o), 1), tf.sum(tf.square(v), 1));
      return tf.div(dot, tf.sqrt(tf.maximum(norms, 1e-16)));
    });
  };
  return withInfo(fn, { name: 'similarityTarget', pgc: 'SimilarityToConceptTarget' });
}
