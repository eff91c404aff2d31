// Input attributions: maps over the input pixels from input gradients (plain, averaged over noisy
// copies, or integrated along a path from a baseline) or from forward passes alone (sliding
// occlusion windows, random smooth masks). Every perturbed or path input of one image is a row of a
// batch of `batchSize`; the rows' target scores come from one score function per row (each row's
// score depends on its own input only, so the gradient of their sum gives every row's gradient).
// Progress after each batch; the AbortSignal is checked between batches; nothing outlives a call.
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, ModelError, NameError, OptionError } from '../errors.js';
import { gauss, rng } from '../core/random.js';
import type { ExplainPlan, MethodDescriptor } from '../methods/types.js';
import { NOISE_VARIANTS, type NoiseVariant } from '../methods/smoothgrad.js';
import type { ModelAdapter } from './adapter.js';
import type { TargetFn } from './target-library.js';

export type GradientPlan = Extract<ExplainPlan, { via: 'input-attribution' }>;
export type InputMaskPlan = Extract<ExplainPlan, { via: 'input-masks' }>;
export type AttributionPlan = GradientPlan | InputMaskPlan;

export interface AttributionOptions {
  /**
   * Noisy copies (default 20) or random masks (default 1000) per image; the eval CLI uses fewer.
   * Integration steps are `steps`.
   */
  numSamples?: number;
  /** Noisy-gradient methods: σ = noiseLevel·(max − min) of each image (tf-keras-vis's smooth_noise; default 0.2). */
  noiseLevel?: number;
  /** Noisy-gradient methods: how the samples' |gradients| combine, as captum's nt_type (default the mean). */
  noiseVariant?: NoiseVariant;
  /** Path methods: Gauss–Legendre nodes (default 50, captum's n_steps). */
  steps?: number;
  /** Path methods and occlusion: the constant baseline input value (default 0). */
  baseline?: number;
  /** Occlusion: window size in pixels, one number or [height, width] (default 16). */
  window?: number | readonly [number, number];
  /** Occlusion: window step in pixels, one number or [height, width] (default 8). */
  stride?: number | readonly [number, number];
  /** Random masks: grid cells per side (default 7). */
  cells?: number;
  /** Random masks: probability that a cell is kept (default 0.5). */
  keep?: number;
  /** Seed of the noise or masks (default 0). */
  seed?: number;
}

/** Each row's target score ([rows]) from the model output of a batch whose row j belongs to image imgs[j]. */
export type RowScore = (output: tf.Tensor, imgs: readonly number[]) => tf.Tensor;

export interface AttributionRun {
  /** [n][H][W]: the map before post-processing, at the input size. */
  lowres: Float32Array;
  /** [n][H][W][C] per-channel attributions (gradient methods), else absent. */
  attribution?: Float32Array;
  /** Path methods: per image Σ attribution − (F(x) − F(baseline)) (captum's convergence delta). */
  completeness?: Float32Array;
  /** Path methods: per image F(x) − F(baseline). */
  scoreDifference?: Float32Array;
}

export interface AttributionContext {
  /** The adapter for image i (its own rows of per-sample fixed inputs) and its release. */
  adapterFor(i: number): { ad: ModelAdapter; release(): void };
  /** Whether several images may share one model call (no per-sample fixed inputs). */
  shareable: boolean;
  score: RowScore;
  batchSize: number;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 32;

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

function posInt(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new OptionError(`${name} must be a positive integer, got ${String(v)}.`);
  return v;
}

function pair(v: number | readonly [number, number] | undefined, name: string, dflt: number): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  for (const k of p) if (!Number.isInteger(k) || k < 1) throw new OptionError(`${name} must be a positive integer or [height, width] of them, got ${JSON.stringify(v)}.`);
  return p as [number, number];
}

function finiteNum(v: unknown, name: string, dflt: number, lo = -Infinity, hi = Infinity): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new OptionError(`${name} must be a finite number in [${lo}, ${hi}], got ${String(v)}.`);
  return v;
}

/** A per-image seed from the run's seed: image i's noise does not depend on the batch around it. */
const seedFor = (seed: number, i: number) => (Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0;

/**
 * Gauss–Legendre nodes and weights on [0, 1] (numpy's leggauss mapped as captum does: α = (1 + t)/2,
 * w/2), ascending. Newton on the Legendre recurrence in float64; Σ w = 1.
 */
export function gaussLegendre(n: number): { alphas: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1) throw new OptionError(`steps must be a positive integer, got ${String(n)}.`);
  const t = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1, p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    // recompute the derivative at the converged node for the weight
    let p1 = 1, p2 = 0;
    for (let j = 1; j <= n; j++) {
      const p3 = p2;
      p2 = p1;
      p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
    }
    pp = n === 1 ? 1 : (n * (z * p1 - p2)) / (z * z - 1);
    const wi = 2 / ((1 - z * z) * pp * pp);
    t[i] = -z;
    t[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = wi;
  }
  if (n === 1) {
    t[0] = 0;
    w[0] = 2;
  }
  return { alphas: Float64Array.from(t, (v) => (1 + v) / 2), weights: Float64Array.from(w, (v) => v / 2) };
}

/** Progress bookkeeping shared by the loops below. */
class Ticker {
  done = 0;
  constructor(readonly total: number, readonly ctx: AttributionContext) {}
  tick(k: number): void {
    this.done += k;
    this.ctx.onProgress?.({ done: this.done, total: this.total });
  }
}

/** Rows' input gradients [rows][H][W][C] (read) and nothing else kept. */
async function rowGradients(ad: ModelAdapter, rows: Float32Array, count: number, shape: readonly number[], imgs: readonly number[], score: RowScore): Promise<Float32Array> {
  const x = tf.tensor4d(rows, [count, shape[0], shape[1], shape[2]]);
  let r: { gradients: tf.Tensor; output: tf.Tensor } | null = null;
  try {
    r = ad.inputGradient(x, (out) => tf.sum(score(out, imgs)) as tf.Scalar);
    const g = (await r.gradients.data()) as Float32Array;
    if (g.length !== rows.length) throw new ModelError('E_MODEL', `The input gradient has ${g.length} values for an input of ${rows.length}.`);
    return Float32Array.from(g);
  } finally {
    x.dispose();
    if (r) tf.dispose([r.gradients, r.output]);
  }
}

/** Rows' target scores [rows] (forward only). */
async function rowScores(ad: ModelAdapter, rows: Float32Array, count: number, shape: readonly number[], imgs: readonly number[], score: RowScore): Promise<Float32Array> {
  const s = tf.tidy(() => {
    const r = score(ad.predict(tf.tensor4d(rows, [count, shape[0], shape[1], shape[2]])), imgs);
    if (r.size !== count) throw new ModelError('E_TARGET', `The target gave ${r.size} scores for ${count} inputs: it must give one per row.`);
    return r;
  });
  try {
    return Float32Array.from((await s.data()) as Float32Array);
  } finally {
    s.dispose();
  }
}

/**
 * Runs an input-attribution plan on x [n,H,W,C] (its values `xData`). Options are validated before
 * the model runs.
 */
export async function attributionMaps(
  desc: MethodDescriptor, plan: AttributionPlan, x: tf.Tensor, xData: Float32Array, ctx: AttributionContext, opts: AttributionOptions,
): Promise<AttributionRun> {
  const [n, H, W, C] = x.shape as [number, number, number, number];
  if (plan.via === 'input-attribution') {
    if (plan.sampling === 'none') return plainGradients(plan, n, [H, W, C], xData, ctx);
    if (plan.sampling === 'noise') return noisyGradients(plan, n, [H, W, C], xData, ctx, opts);
    return pathGradients(plan, n, [H, W, C], xData, ctx, opts);
  }
  if (plan.masks === 'sliding') return slidingOcclusion(plan, n, [H, W, C], xData, ctx, opts);
  if (plan.masks === 'random') return randomMasks(plan, n, [H, W, C], xData, ctx, opts);
  throw new ModelError('E_MODEL', `explain() has no input-attribution strategy for ${desc.name}.`);
}

/** [n][H][W] from [n][H][W][C]: max over channels of |v|, or the channel sum. */
function reduceChannels(v: Float32Array, n: number, hw: number, C: number, how: 'abs-max' | 'sum' | 'max'): Float32Array {
  const out = new Float32Array(n * hw);
  for (let p = 0; p < n * hw; p++) {
    let r = how === 'sum' ? 0 : -Infinity;
    for (let c = 0; c < C; c++) {
      const a = v[p * C + c];
      r = how === 'sum' ? r + a : Math.max(r, how === 'abs-max' ? Math.abs(a) : a);
    }
    out[p] = r;
  }
  return out;
}

async function plainGradients(plan: GradientPlan, n: number, shape: [number, number, number], xData: Float32Array, ctx: AttributionContext): Promise<AttributionRun> {
  const per = shape[0] * shape[1] * shape[2];
  const bs = ctx.shareable ? ctx.batchSize : 1;
  const t = new Ticker(n, ctx);
  const g = new Float32Array(n * per);
  for (let s = 0; s < n; s += bs) {
    checkAbort(ctx.signal);
    const count = Math.min(bs, n - s);
    const { ad, release } = ctx.adapterFor(s);
    try {
      const imgs = Array.from({ length: count }, (_, j) => s + j);
      g.set(await rowGradients(ad, xData.slice(s * per, (s + count) * per), count, shape, imgs, ctx.score), s * per);
    } finally {
      release();
    }
    checkAbort(ctx.signal);
    t.tick(count);
  }
  return { lowres: reduceChannels(g, n, shape[0] * shape[1], shape[2], plan.reduce), attribution: g };
}

async function noisyGradients(plan: GradientPlan, n: number, shape: [number, number, number], xData: Float32Array, ctx: AttributionContext, opts: AttributionOptions): Promise<AttributionRun> {
  const N = posInt(opts.numSamples, 'numSamples', plan.samples);
  const level = finiteNum(opts.noiseLevel, 'noiseLevel', plan.noiseLevel ?? 0.2, 0);
  const variant = opts.noiseVariant ?? NOISE_VARIANTS[0];
  if (!NOISE_VARIANTS.includes(variant)) throw new NameError('noiseVariant', String(variant), NOISE_VARIANTS);
  const seed = opts.seed ?? 0;
  const per = shape[0] * shape[1] * shape[2];
  const t = new Ticker(n * N, ctx);
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const xi = xData.subarray(i * per, (i + 1) * per);
    let lo = Infinity, hi = -Infinity;
    for (let j = 0; j < per; j++) {
      lo = Math.min(lo, xi[j]);
      hi = Math.max(hi, xi[j]);
    }
    const sigma = level * (hi - lo);
    const r = rng(seedFor(seed, i));
    const s1 = new Float64Array(per), s2 = new Float64Array(per);
    const { ad, release } = ctx.adapterFor(i);
    try {
      for (let s0 = 0; s0 < N; s0 += ctx.batchSize) {
        checkAbort(ctx.signal);
        const count = Math.min(ctx.batchSize, N - s0);
        const rows = new Float32Array(count * per);
        for (let b = 0; b < count; b++) for (let j = 0; j < per; j++) rows[b * per + j] = xi[j] + sigma * gauss(r);
        const g = await rowGradients(ad, rows, count, shape, new Array<number>(count).fill(i), ctx.score);
        for (let b = 0; b < count; b++) {
          for (let j = 0; j < per; j++) {
            const a = Math.abs(g[b * per + j]);
            s1[j] += a;
            s2[j] += a * a;
          }
        }
        checkAbort(ctx.signal);
        t.tick(count);
      }
    } finally {
      release();
    }
    const o = out.subarray(i * per, (i + 1) * per);
    for (let j = 0; j < per; j++) {
      const m = s1[j] / N, m2 = s2[j] / N;
      o[j] = variant === 'smoothgrad_sq' ? m2 : variant === 'vargrad' ? Math.max(m2 - m * m, 0) : m;
    }
  }
  return { lowres: reduceChannels(out, n, shape[0] * shape[1], shape[2], 'max'), attribution: out };
}

async function pathGradients(plan: GradientPlan, n: number, shape: [number, number, number], xData: Float32Array, ctx: AttributionContext, opts: AttributionOptions): Promise<AttributionRun> {
  const steps = posInt(opts.steps, 'steps', plan.samples);
  const base = finiteNum(opts.baseline, 'baseline', 0);
  const { alphas, weights } = gaussLegendre(steps);
  const per = shape[0] * shape[1] * shape[2];
  const t = new Ticker(n * (steps + 2), ctx);
  const attribution = new Float32Array(n * per);
  const completeness = new Float32Array(n), scoreDifference = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const xi = xData.subarray(i * per, (i + 1) * per);
    const acc = new Float64Array(per);
    const { ad, release } = ctx.adapterFor(i);
    try {
      for (let k0 = 0; k0 < steps; k0 += ctx.batchSize) {
        checkAbort(ctx.signal);
        const count = Math.min(ctx.batchSize, steps - k0);
        const rows = new Float32Array(count * per);
        for (let b = 0; b < count; b++) {
          const a = alphas[k0 + b];
          for (let j = 0; j < per; j++) rows[b * per + j] = base + a * (xi[j] - base);
        }
        const g = await rowGradients(ad, rows, count, shape, new Array<number>(count).fill(i), ctx.score);
        for (let b = 0; b < count; b++) {
          const w = weights[k0 + b];
          for (let j = 0; j < per; j++) acc[j] += w * g[b * per + j];
        }
        checkAbort(ctx.signal);
        t.tick(count);
      }
      // The end points: F(x) and F(baseline), for the completeness check.
      const ends = new Float32Array(2 * per);
      ends.set(xi);
      ends.fill(base, per);
      const f = await rowScores(ad, ends, 2, shape, [i, i], ctx.score);
      t.tick(2);
      let sum = 0;
      const o = attribution.subarray(i * per, (i + 1) * per);
      for (let j = 0; j < per; j++) {
        o[j] = (xi[j] - base) * acc[j];
        sum += (xi[j] - base) * acc[j];
      }
      scoreDifference[i] = f[0] - f[1];
      completeness[i] = sum - (f[0] - f[1]);
    } finally {
      release();
    }
  }
  return { lowres: reduceChannels(attribution, n, shape[0] * shape[1], shape[2], plan.reduce), attribution, completeness, scoreDifference };
}

/** Window origins along one axis: 0, s, 2s, … and the last one flush with the edge. */
function origins(size: number, win: number, stride: number): number[] {
  const w = Math.min(win, size);
  const o: number[] = [];
  for (let p = 0; p + w <= size; p += stride) o.push(p);
  if (o[o.length - 1] !== size - w) o.push(size - w);
  return o;
}

async function slidingOcclusion(plan: Extract<InputMaskPlan, { masks: 'sliding' }>, n: number, shape: [number, number, number], xData: Float32Array, ctx: AttributionContext, opts: AttributionOptions): Promise<AttributionRun> {
  const [H, W, C] = shape;
  const [wh, ww] = pair(opts.window, 'window', plan.window);
  const [sh, sw] = pair(opts.stride, 'stride', plan.stride);
  const base = finiteNum(opts.baseline, 'baseline', 0);
  const ys = origins(H, wh, sh), xs = origins(W, ww, sw);
  const eh = Math.min(wh, H), ew = Math.min(ww, W);
  const wins = ys.flatMap((y) => xs.map((x) => [y, x] as const));
  const per = H * W * C, P = H * W;
  const t = new Ticker(n * (wins.length + 1), ctx);
  const lowres = new Float32Array(n * P);
  for (let i = 0; i < n; i++) {
    const xi = xData.subarray(i * per, (i + 1) * per);
    const acc = new Float64Array(P), cnt = new Float64Array(P);
    const { ad, release } = ctx.adapterFor(i);
    try {
      checkAbort(ctx.signal);
      const f0 = (await rowScores(ad, Float32Array.from(xi), 1, shape, [i], ctx.score))[0];
      t.tick(1);
      for (let k0 = 0; k0 < wins.length; k0 += ctx.batchSize) {
        checkAbort(ctx.signal);
        const count = Math.min(ctx.batchSize, wins.length - k0);
        const rows = new Float32Array(count * per);
        for (let b = 0; b < count; b++) {
          const o = b * per;
          rows.set(xi, o);
          const [y0, x0] = wins[k0 + b];
          for (let y = y0; y < y0 + eh; y++) rows.fill(base, o + (y * W + x0) * C, o + (y * W + x0 + ew) * C);
        }
        const f = await rowScores(ad, rows, count, shape, new Array<number>(count).fill(i), ctx.score);
        for (let b = 0; b < count; b++) {
          const d = f0 - f[b];
          const [y0, x0] = wins[k0 + b];
          for (let y = y0; y < y0 + eh; y++) {
            for (let x = x0; x < x0 + ew; x++) {
              acc[y * W + x] += d;
              cnt[y * W + x] += 1;
            }
          }
        }
        checkAbort(ctx.signal);
        t.tick(count);
      }
    } finally {
      release();
    }
    for (let p = 0; p < P; p++) lowres[i * P + p] = acc[p] / cnt[p];
  }
  return { lowres };
}

/** RISE's masks: a cells×cells grid of kept cells and a sub-cell shift each, rendered on demand. */
export class RiseMasks {
  readonly grids: Uint8Array;
  readonly shifts: Int32Array;
  readonly cellH: number;
  readonly cellW: number;
  constructor(readonly count: number, readonly cells: number, readonly keep: number, readonly H: number, readonly W: number, seed: number) {
    const r = rng(seed);
    const g = cells * cells;
    this.grids = new Uint8Array(count * g);
    this.shifts = new Int32Array(count * 2);
    this.cellH = Math.ceil(H / cells);
    this.cellW = Math.ceil(W / cells);
    for (let k = 0; k < count; k++) {
      for (let j = 0; j < g; j++) this.grids[k * g + j] = r() < keep ? 1 : 0;
      this.shifts[2 * k] = Math.floor(r() * this.cellH);
      this.shifts[2 * k + 1] = Math.floor(r() * this.cellW);
    }
  }

  /**
   * Mask k [H][W]: the grid upsampled bilinearly (half-pixel centres, edges clamped) to
   * (cells+1)·cell pixels per side, then the H×W window at the mask's shift.
   */
  render(k: number, out: Float32Array): void {
    const { cells: s, H, W } = this;
    const g = this.grids.subarray(k * s * s, (k + 1) * s * s);
    const UH = (s + 1) * this.cellH, UW = (s + 1) * this.cellW;
    const dy = this.shifts[2 * k], dx = this.shifts[2 * k + 1];
    for (let y = 0; y < H; y++) {
      const gy = Math.min(Math.max(((y + dy + 0.5) * s) / UH - 0.5, 0), s - 1);
      const y0 = Math.floor(gy), y1 = Math.min(y0 + 1, s - 1), fy = gy - y0;
      for (let x = 0; x < W; x++) {
        const gx = Math.min(Math.max(((x + dx + 0.5) * s) / UW - 0.5, 0), s - 1);
        const x0 = Math.floor(gx), x1 = Math.min(x0 + 1, s - 1), fx = gx - x0;
        const top = g[y0 * s + x0] * (1 - fx) + g[y0 * s + x1] * fx;
        const bot = g[y1 * s + x0] * (1 - fx) + g[y1 * s + x1] * fx;
        out[y * W + x] = top * (1 - fy) + bot * fy;
      }
    }
  }
}

async function randomMasks(plan: Extract<InputMaskPlan, { masks: 'random' }>, n: number, shape: [number, number, number], xData: Float32Array, ctx: AttributionContext, opts: AttributionOptions): Promise<AttributionRun> {
  const [H, W, C] = shape;
  const N = posInt(opts.numSamples, 'numSamples', plan.samples);
  const cells = posInt(opts.cells, 'cells', plan.cells);
  const keep = finiteNum(opts.keep, 'keep', plan.keep, 0, 1);
  if (keep === 0) throw new OptionError('keep must be > 0: no cell would ever be kept.');
  // One set of masks for every image (as RISE draws them once per run).
  const masks = new RiseMasks(N, cells, keep, H, W, opts.seed ?? 0);
  const per = H * W * C, P = H * W;
  const t = new Ticker(n * N, ctx);
  const lowres = new Float32Array(n * P);
  const m = new Float32Array(Math.min(ctx.batchSize, N) * P);
  for (let i = 0; i < n; i++) {
    const xi = xData.subarray(i * per, (i + 1) * per);
    const acc = new Float64Array(P);
    const { ad, release } = ctx.adapterFor(i);
    try {
      for (let k0 = 0; k0 < N; k0 += ctx.batchSize) {
        checkAbort(ctx.signal);
        const count = Math.min(ctx.batchSize, N - k0);
        const rows = new Float32Array(count * per);
        for (let b = 0; b < count; b++) {
          const mb = m.subarray(b * P, (b + 1) * P);
          masks.render(k0 + b, mb);
          for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) rows[b * per + p * C + c] = xi[p * C + c] * mb[p];
        }
        const f = await rowScores(ad, rows, count, shape, new Array<number>(count).fill(i), ctx.score);
        for (let b = 0; b < count; b++) {
          const mb = m.subarray(b * P, (b + 1) * P);
          for (let p = 0; p < P; p++) acc[p] += f[b] * mb[p];
        }
        checkAbort(ctx.signal);
        t.tick(count);
      }
    } finally {
      release();
    }
    for (let p = 0; p < P; p++) lowres[i * P + p] = acc[p] / (N * keep);
  }
  return { lowres };
}

/**
 * The row score of a class target: the summed (softmax, when `probabilities`) output at each row's
 * classes, over every position of a higher-rank output; single-unit heads score their one unit.
 */
export function classRowScore(classes: readonly (readonly number[])[], probabilities: boolean): RowScore {
  return (out, imgs) =>
    tf.tidy(() => {
      const y = probabilities ? tf.softmax(out) : out;
      const C = y.shape[y.rank - 1] ?? 1;
      const rows = y.shape[0];
      const y3 = tf.reshape(y, [rows, -1, C]);
      if (C === 1) return tf.sum(y3, [1, 2]);
      const mask = new Float32Array(rows * C);
      imgs.forEach((i, j) => {
        for (const k of classes[i] ?? []) {
          if (!(Number.isInteger(k) && k >= 0 && k < C)) throw new ModelError('E_TARGET', `Target class ${k} is out of range for ${C} classes.`);
          mask[j * C + k] = 1;
        }
      });
      return tf.sum(tf.mul(y3, tf.tensor3d(mask, [rows, 1, C])), [1, 2]);
    });
}

/** The row score of a score function (already fixed on the clean output): its per-row scores. */
export function functionRowScore(fn: TargetFn): RowScore {
  return (out, imgs) =>
    tf.tidy(() => {
      const s = fn(out, imgs);
      if (!s || typeof (s as { rank?: unknown }).rank !== 'number') throw new ModelError('E_TARGET', 'The score function must return a tensor.');
      const r = s.rank === 0 ? tf.reshape(s, [1]) : s.rank === 1 ? s : tf.sum(tf.reshape(s, [s.shape[0], -1]), 1);
      if (r.shape[0] !== imgs.length) throw new ModelError('E_TARGET', `The score function returned ${r.shape[0]} scores for ${imgs.length} outputs: it must give one per row.`);
      return r;
    });
}

export { DEFAULT_BATCH as ATTRIBUTION_BATCH };
