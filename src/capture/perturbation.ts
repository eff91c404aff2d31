// Perturbation methods: Score-CAM (reference and paper conventions), Faster Score-CAM, SS-CAM,
// IS-CAM, Ablation-CAM, SmoothGrad-CAM++ and augmentation smoothing. The model runs here, in batches;
// masked inputs are built by the scorecam_masks kernel straight into the arena, one batch at a time,
// and the scores become weights and maps through computeCamSync (one truth for the CAM arithmetic).
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, InputError, ModelError, NameError, OptionError } from '../errors.js';
import { computeCamSync, type CamOptions, type CamResult } from '../compute.js';
import { getRuntime, type Runtime } from '../runtime/init.js';
import { scorecamMasksTmp } from '../kernels/scorecam_masks.js';
import { rng } from '../core/random.js';
import type { ModelAdapter } from './adapter.js';
import type { CamMethod, ExplainPlan, MethodDescriptor } from '../methods/types.js';
import { ScoreCAM } from '../methods/scorecam.js';
import { FasterScoreCAM } from '../methods/fasterscorecam.js';
import { SSCAM } from '../methods/sscam.js';
import { ISCAM } from '../methods/iscam.js';
import { AblationCAM } from '../methods/ablationcam.js';
import { SmoothGradCAMpp } from '../methods/smoothgradcampp.js';
import { makeScore, resolveTargets, type Target } from './targets.js';
import { isTokenAware } from './tokens.js';
import type { TargetFn } from './target-library.js';

/** What the perturbation methods need from a model: capture's ModelAdapter (createAdapter) satisfies it. */
export type PerturbationModel = Pick<ModelAdapter, 'predict' | 'activations' | 'forwardFrom' | 'capture'>;

type MaskPlan = Extract<ExplainPlan, { via: 'masks' }>;
type AblationPlan = Extract<ExplainPlan, { via: 'ablation' }>;
type NoisyGradientPlan = Extract<ExplainPlan, { via: 'noisy-gradients' }>;

export interface Progress {
  done: number;
  total: number;
}

export interface PerturbationOptions extends CamOptions {
  /**
   * What to explain: one class per image (a class index, one per image, 'top1' (default) or {rank}),
   * or a score function (the target library's helpers or your own) giving one score per output row:
   * every perturbed input of image i is scored by it with `samples` all i. Choices a helper reads from
   * the output (top class, arg-max mask, peaks) are fixed on the clean input first (`info.fix`).
   * The function's score is used as it is, whatever `scoreWeights` says (use softmaxTarget for probabilities).
   */
  target?: Target;
  /** Alias of `target` as class indices. */
  classIndex?: number | readonly number[];
  /** Masked (or ablated, or noisy) inputs per model call. Default 32. Does not change results. */
  batchSize?: number;
  /** Called after every model batch. */
  onProgress?: (p: Progress) => void;
  /** Stops between batches with an AbortError; nothing is leaked. */
  signal?: AbortSignal;
  /** Kernels to use; default: the initialised runtime. */
  runtime?: Runtime;
  /**
   * Score-CAM family. 'softmax' (default, pytorch-grad-cam and torchcam): the raw target score of each
   * masked input, softmax over channels. 'probability' (the paper, tf-keras-vis): the target class's
   * softmax probability of each masked input, used as the weight.
   */
  scoreWeights?: 'softmax' | 'probability';
  /**
   * Mask upsampling: 'align-corners' (pytorch-grad-cam's UpsamplingBilinear2d; default for ScoreCAM and
   * FasterScoreCAM) or 'half-pixel' (torchcam's F.interpolate; default for SSCAM and ISCAM).
   */
  maskResize?: 'align-corners' | 'half-pixel';
  /** Methods that keep only some channels: how many, those of largest spatial standard deviation (the method's default). */
  maxN?: number;
  /** Noisy or integration samples (default: the method's). */
  numSamples?: number;
  /** Noise standard deviation, on the normalised masks or on the input (default: the method's). */
  std?: number;
  /** Seed of the Gaussian noise; default 0. */
  seed?: number;
}

export interface PerturbationResult extends CamResult {
  /** The target class of each image (−1 when a score function target names none). */
  classIndex: Int32Array;
  /**
   * [n][channels]: ScoreCAM family: the (mean) target score of each channel's masked input (0 for
   * channels FasterScoreCAM skipped); AblationCAM: the target score with the channel ablated;
   * SmoothGradCAMpp: the weights.
   */
  scores: Float32Array;
  /** [n] target score of the unperturbed input. */
  originalScore: Float32Array;
  /** FasterScoreCAM: [n][maxN] the channels used, largest deviation first. */
  channelsUsed?: Int32Array;
  /** AblationCAM: [n] the value written into the ablated channel. */
  ablationValue?: Float32Array;
}

const DEFAULT_BATCH = 32;

// ---------------------------------------------------------------------------------------------------
// Validation and shared plumbing

interface Ctx {
  rt: Runtime;
  model: PerturbationModel;
  layer: string;
  x: tf.Tensor4D;
  xData: Float32Array;
  n: number;
  H: number;
  W: number;
  ci: number;
  batchSize: number;
  opts: PerturbationOptions;
  progress: { done: number; total: number };
}

function posInt(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new OptionError(`${name} must be a positive integer, got ${String(v)}.`);
  return v;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

async function context(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions): Promise<Ctx> {
  if (!model || typeof model.predict !== 'function') throw new InputError('E_SHAPE', 'Expected a model adapter with predict/activations/forwardFrom/capture.');
  if (!x || !Array.isArray(x.shape)) throw new InputError('E_SHAPE', 'The input must be a tf.Tensor [N, H, W, C].');
  if (x.isDisposed) throw new InputError('E_DISPOSED', 'The input tensor is disposed.');
  if (x.dtype !== 'float32') throw new InputError('E_DTYPE', `The input must be float32, got ${x.dtype}.`);
  if (x.rank !== 4) throw new InputError('E_SHAPE', `The input must be [N, H, W, C], got [${x.shape.join(', ')}].`);
  if (x.shape.some((d) => d === 0)) throw new InputError('E_EMPTY', `The input is empty ([${x.shape.join(', ')}]).`);
  if (typeof layer !== 'string' || !layer) throw new OptionError('A target layer name is required.');
  const batchSize = posInt(opts.batchSize, 'batchSize', DEFAULT_BATCH);
  if (opts.scoreWeights !== undefined && opts.scoreWeights !== 'softmax' && opts.scoreWeights !== 'probability') {
    throw new NameError('scoreWeights', String(opts.scoreWeights), ['softmax', 'probability']);
  }
  if (opts.maskResize !== undefined && opts.maskResize !== 'align-corners' && opts.maskResize !== 'half-pixel') {
    throw new NameError('maskResize', String(opts.maskResize), ['align-corners', 'half-pixel']);
  }
  if (opts.std !== undefined && !(Number.isFinite(opts.std) && opts.std >= 0)) throw new OptionError(`std must be a finite number ≥ 0, got ${opts.std}.`);
  checkAbort(opts.signal);
  const rt = opts.runtime ?? (await getRuntime());
  const [n, H, W, ci] = x.shape as [number, number, number, number];
  const xData = Float32Array.from((await x.data()) as Float32Array);
  checkAbort(opts.signal);
  return { rt, model, layer, x: x as tf.Tensor4D, xData, n, H, W, ci, batchSize, opts, progress: { done: 0, total: 0 } };
}

function tick(ctx: Ctx, k: number): void {
  ctx.progress.done += k;
  ctx.opts.onProgress?.({ done: ctx.progress.done, total: ctx.progress.total });
}

/** Image i of the input as its own [1,H,W,C] tensor (from the copy read once). */
function imageTensor(ctx: Ctx, i: number): tf.Tensor4D {
  const len = ctx.H * ctx.W * ctx.ci;
  return tf.tensor4d(ctx.xData.slice(i * len, (i + 1) * len), [1, ctx.H, ctx.W, ctx.ci]);
}

async function readF32(t: tf.Tensor): Promise<Float32Array> {
  try {
    return Float32Array.from((await t.data()) as Float32Array);
  } finally {
    t.dispose();
  }
}

interface Targets {
  /** The class of each image (−1 when a score function names none). */
  classIndex: Int32Array;
  /** The target score of each clean image. */
  original: Float32Array;
  numClasses: number;
  /** A score function target, fixed on the clean output; null for class targets. */
  score: TargetFn | null;
}

/** [rows] the score function's per-row scores (higher-rank results summed per row); E_TARGET when they are not one per row. */
function rowScores(fn: TargetFn, out: tf.Tensor, rows: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const s = fn(out, rows);
    if (!s || typeof (s as { rank?: unknown }).rank !== 'number') throw new ModelError('E_TARGET', 'The score function must return a tensor.');
    const r = s.rank === 0 ? tf.reshape(s, [1]) : s.rank === 1 ? s : tf.sum(tf.reshape(s, [s.shape[0], -1]), 1);
    if (r.shape[0] !== rows.length) throw new ModelError('E_TARGET', `The score function returned ${r.shape[0]} scores for ${rows.length} outputs: it must give one per row.`);
    return r;
  });
}

const repeat = (i: number, count: number): number[] => new Array<number>(count).fill(i);

/** A score function target: fixed on the clean outputs, which it scores. */
async function functionTargets(ctx: Ctx, fn0: TargetFn): Promise<Targets> {
  const out = tf.tidy(() => ctx.model.predict(ctx.x));
  try {
    const score = fn0.info?.fix ? await fn0.info.fix(out) : fn0;
    checkAbort(ctx.opts.signal);
    const rows = Array.from({ length: ctx.n }, (_, i) => i);
    const original = await readF32(rowScores(score, out, rows));
    const c = out.rank >= 2 ? out.shape[out.rank - 1] : 1;
    const named = resolveTargets(score, (await out.data()) as Float32Array, ctx.n, c);
    const classIndex = Int32Array.from(named, (t) => t[0] ?? -1);
    return { classIndex, original, numClasses: c, score };
  } finally {
    out.dispose();
  }
}

/** Clean outputs of every image, the target classes and their scores (validated against the class count). */
async function targets(ctx: Ctx): Promise<Targets> {
  const fn = ctx.opts.target ?? ctx.opts.classIndex;
  if (typeof fn === 'function') return functionTargets(ctx, fn);
  const out = tf.tidy(() => ctx.model.predict(ctx.x));
  if (out.rank !== 2) {
    out.dispose();
    throw new ModelError('E_MODEL', `The model output must be [N, classes], got [${out.shape.join(', ')}].`);
  }
  const numClasses = out.shape[1]!;
  const o = await readF32(out);
  const req: Target = ctx.opts.target ?? ctx.opts.classIndex ?? 'top1';
  if (typeof req === 'function' || (typeof req === 'object' && req !== null && 'topK' in req && (req as { topK: number }).topK !== 1)) {
    throw new ModelError('E_TARGET', 'Perturbation methods explain one class per image: pass a class index, one per image, \'top1\', {rank} or a score function.');
  }
  if (Array.isArray(req) && req.length !== 1 && req.length !== ctx.n) throw new ModelError('E_TARGET', `classIndex must be one class or one per image (${ctx.n}).`);
  const list = Array.isArray(req) && req.length === 1 ? req[0] : req;
  if (typeof list === 'number' || Array.isArray(list)) {
    for (const k of typeof list === 'number' ? [list] : list) {
      if (!Number.isInteger(k) || k < 0 || k >= numClasses) throw new ModelError('E_TARGET', `Target class ${k} is out of range for ${numClasses} classes.`);
    }
  }
  const resolved = resolveTargets(list as Target, o, ctx.n, numClasses);
  const classIndex = new Int32Array(ctx.n);
  const original = new Float32Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) {
    const row = o.subarray(i * numClasses, (i + 1) * numClasses);
    const k = resolved[i]?.[0];
    if (k === undefined || !Number.isInteger(k) || k < 0 || k >= numClasses) throw new ModelError('E_TARGET', `Target class ${k} is out of range for ${numClasses} classes.`);
    classIndex[i] = k;
    original[i] = targetScore(row, k, ctx.opts.scoreWeights === 'probability');
  }
  return { classIndex, original, numClasses, score: null };
}

/** The raw target score, or the target's softmax probability over classes (float64, max-shifted). */
function targetScore(row: ArrayLike<number>, k: number, probability: boolean): number {
  if (!probability) return row[k];
  let m = -Infinity;
  for (let j = 0; j < row.length; j++) m = Math.max(m, row[j]);
  let z = 0;
  for (let j = 0; j < row.length; j++) z += Math.exp(row[j] - m);
  return Math.exp(row[k] - m) / z;
}

/** Activations of the clean input for every image: [n][h][w][c]. */
async function cleanActivations(ctx: Ctx): Promise<{ a: Float32Array; h: number; w: number; c: number }> {
  const t = tf.tidy(() => ctx.model.activations(ctx.x, ctx.layer));
  if (t.rank !== 4) {
    t.dispose();
    throw new ModelError('E_MODEL', `Layer '${ctx.layer}' must output [N, h, w, C] for these methods, got [${t.shape.join(', ')}].`);
  }
  const [, h, w, c] = t.shape as number[];
  return { a: await readF32(t), h, w, c };
}

/** Deterministic N(0, σ) samples: src/core/random.ts's generator + Box–Muller (both branches). */
function gaussian(seed: number): (std: number) => number {
  const next = rng(seed);
  let spare: number | null = null;
  // Shifted by half a step into (0, 1), so log(u) is finite (the same values as before the shared generator).
  const u = () => next() + 2 ** -33;
  return (std) => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s * std;
    }
    const r = Math.sqrt(-2 * Math.log(u())), th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th) * std;
  };
}

// ---------------------------------------------------------------------------------------------------
// Score-CAM family

interface MaskPass {
  /** Multiplies every mask (IS-CAM's integration coefficient). */
  scale: number;
  /** Adds N(0, σ) to every mask value before masking (SS-CAM). */
  noiseStd: number;
}

/**
 * Sum over passes of the target score of each channel's masked input, for image i.
 * `a` is the image's activations [h][w][c] (possibly a compacted channel subset).
 */
async function maskedScores(
  ctx: Ctx, i: number, a: Float32Array, h: number, w: number, c: number, cls: number, score: TargetFn | null,
  passes: readonly MaskPass[], alignCorners: boolean, noise: ((std: number) => number) | null,
): Promise<Float64Array> {
  const { rt, H, W, ci, batchSize } = ctx;
  const plane = H * W * ci;
  const xi = ctx.xData.subarray(i * plane, (i + 1) * plane);
  const probability = ctx.opts.scoreWeights === 'probability';
  const sums = new Float64Array(c);
  for (const pass of passes) {
    for (let k0 = 0; k0 < c; k0 += batchSize) {
      checkAbort(ctx.opts.signal);
      const count = Math.min(batchSize, c - k0);
      // Plan, fill and copy out within one synchronous stretch: no other call can reuse the arena meanwhile.
      const { f: [out, inp, av, tmp] } = rt.arena.take([count * plane, plane, h * w * c, scorecamMasksTmp(h, H, W)]);
      inp.set(xi);
      av.set(a);
      rt.kernels.scorecam_masks(out, inp, av, tmp, h, w, c, k0, count, H, W, ci, alignCorners ? 1 : 0, pass.scale);
      const batch = out.slice();
      if (pass.noiseStd > 0 && noise) {
        // x ⊙ (M + δ) = x ⊙ M + x ⊙ δ, with δ drawn per channel and pixel (torchcam samples it at mask size).
        for (let b = 0; b < count; b++) {
          const o = b * plane;
          for (let j = 0; j < H * W; j++) {
            const d = noise(pass.noiseStd);
            for (let q = 0; q < ci; q++) batch[o + j * ci + q] += xi[j * ci + q] * d;
          }
        }
      }
      if (score) {
        const v = await readF32(tf.tidy(() => rowScores(score, ctx.model.predict(tf.tensor4d(batch, [count, H, W, ci])), repeat(i, count))));
        checkAbort(ctx.opts.signal);
        for (let b = 0; b < count; b++) sums[k0 + b] += v[b];
      } else {
        const logits = tf.tidy(() => ctx.model.predict(tf.tensor4d(batch, [count, H, W, ci])));
        const o = await readF32(logits);
        checkAbort(ctx.opts.signal);
        const nc = o.length / count;
        for (let b = 0; b < count; b++) sums[k0 + b] += targetScore(o.subarray(b * nc, (b + 1) * nc), cls, probability);
      }
      tick(ctx, count);
    }
  }
  return sums;
}

function finish(
  ctx: Ctx, method: MethodDescriptor, camMethod: CamMethod, a: Float32Array, dims: { h: number; w: number; c: number },
  scores: Float32Array, extra: { classIndex: Int32Array; originalScore: Float32Array; scoreWeights?: 'softmax' | 'probability' },
): PerturbationResult {
  const { n, H, W } = ctx;
  const { batchSize: _b, onProgress: _p, signal: _s, runtime: _r, classIndex: _c, target: _t, ...camOpts } = ctx.opts;
  const r = computeCamSync(
    ctx.rt, camMethod,
    { activations: { data: a, shape: [n, dims.h, dims.w, dims.c] }, scores, originalScore: extra.originalScore, inputSize: [H, W] },
    { ...camOpts, scoreWeights: extra.scoreWeights ?? ctx.opts.scoreWeights ?? 'softmax' },
  );
  return { ...r, method: method.name, classIndex: extra.classIndex, scores, originalScore: extra.originalScore };
}

/**
 * The Score-CAM family from its plan: `samples` passes of masks (noisy, or scaled along an integration
 * path), optionally on the `maxChannels` channels of largest spatial deviation only.
 */
export async function maskPlan(
  method: MethodDescriptor, plan: MaskPlan,
  model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions,
): Promise<PerturbationResult> {
  const weigh = plan.weights ?? (method as CamMethod);
  const maxN = plan.maxChannels !== undefined ? posInt(opts.maxN, 'maxN', plan.maxChannels) : 0;
  const numSamples = plan.samples !== undefined ? posInt(opts.numSamples, 'numSamples', plan.samples) : 1;
  const noisy = plan.noiseStd !== undefined;
  const ctx = await context(model, x, layer, opts);
  const alignCorners = (opts.maskResize ?? plan.upsampling) === 'align-corners';
  const passes: MaskPass[] = [];
  let coeff = 0;
  for (let s = 0; s < numSamples; s++) {
    // Integration (IS-CAM): torchcam accumulates coeff += (s+1)/N before each pass.
    coeff += (s + 1) / numSamples;
    passes.push(plan.integrate ? { scale: coeff, noiseStd: 0 } : { scale: 1, noiseStd: noisy ? (opts.std ?? plan.noiseStd!) : 0 });
  }
  const { a, h, w, c } = await cleanActivations(ctx);
  const used = maxN > 0 ? Math.min(maxN, c) : c;
  ctx.progress.total = ctx.n * used * passes.length;
  const t = await targets(ctx);
  const noise = noisy ? gaussian(opts.seed ?? 0) : null;
  const hwc = h * w * c;
  if (maxN === 0) {
    const scores = new Float32Array(ctx.n * c);
    for (let i = 0; i < ctx.n; i++) {
      const s = await maskedScores(ctx, i, a.subarray(i * hwc, (i + 1) * hwc), h, w, c, t.classIndex[i], t.score, passes, alignCorners, noise);
      for (let k = 0; k < c; k++) scores[i * c + k] = s[k] / passes.length;
    }
    return finish(ctx, method, weigh, a, { h, w, c }, scores, { classIndex: t.classIndex, originalScore: t.original });
  }
  // Channel subset (tf-keras-vis max_N): keep the channels of largest spatial standard deviation,
  // compacted into a smaller activation map so the kernel and the model only see those.
  const compact = new Float32Array(ctx.n * h * w * used);
  const channelsUsed = new Int32Array(ctx.n * used);
  const cScores = new Float32Array(ctx.n * used);
  for (let i = 0; i < ctx.n; i++) {
    const ai = a.subarray(i * hwc, (i + 1) * hwc);
    const order = topByStd(ai, h * w, c).slice(0, used);
    channelsUsed.set(order, i * used);
    const ci = compact.subarray(i * h * w * used, (i + 1) * h * w * used);
    for (let p = 0; p < h * w; p++) for (let j = 0; j < used; j++) ci[p * used + j] = ai[p * c + order[j]];
    const s = await maskedScores(ctx, i, ci, h, w, used, t.classIndex[i], t.score, passes, alignCorners, null);
    for (let j = 0; j < used; j++) cScores[i * used + j] = s[j];
  }
  const r = finish(ctx, method, weigh, compact, { h, w, c: used }, cScores, { classIndex: t.classIndex, originalScore: t.original });
  // Report weights and scores over all channels (0 for those not used).
  const weights = new Float32Array(ctx.n * c), scores = new Float32Array(ctx.n * c);
  for (let i = 0; i < ctx.n; i++) {
    for (let j = 0; j < used; j++) {
      const k = channelsUsed[i * used + j];
      weights[i * c + k] = r.weights![i * used + j];
      scores[i * c + k] = cScores[i * used + j];
    }
  }
  return { ...r, channels: c, weights, scores, channelsUsed };
}

/** Channel indices by decreasing spatial standard deviation (ties: lower index first). */
function topByStd(a: Float32Array, hw: number, c: number): Int32Array {
  const sd = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0, s2 = 0;
    for (let p = 0; p < hw; p++) {
      const v = a[p * c + k];
      s += v;
      s2 += v * v;
    }
    const m = s / hw;
    sd[k] = Math.sqrt(Math.max(s2 / hw - m * m, 0));
  }
  return Int32Array.from(Array.from({ length: c }, (_, k) => k).sort((p, q) => sd[q] - sd[p] || p - q));
}

/**
 * Score-CAM. Reference convention (default): masks = align-corners upsampled, min-max normalised
 * (eps 1e-8) channels; score = raw target score of input ⊙ mask; weights = softmax over channels.
 * `scoreWeights: 'probability'` gives the paper's weights (the class probability of each masked input).
 */
export function scoreCam(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return maskPlan(ScoreCAM, ScoreCAM.explain as MaskPlan, model, x, layer, opts);
}

/** Faster Score-CAM: Score-CAM on the `maxN` (default 10) channels of largest spatial standard deviation. */
export function fasterScoreCam(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return maskPlan(FasterScoreCAM, FasterScoreCAM.explain as MaskPlan, model, x, layer, opts);
}

/** SS-CAM (torchcam): mean target score over `numSamples` (35) masks with N(0, `std`=2) noise added; half-pixel masks. */
export function ssCam(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return maskPlan(SSCAM, SSCAM.explain as MaskPlan, model, x, layer, opts);
}

/** IS-CAM (torchcam): mean target score over `numSamples` (10) masked inputs scaled by the accumulated coefficient. */
export function isCam(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return maskPlan(ISCAM, ISCAM.explain as MaskPlan, model, x, layer, opts);
}

// ---------------------------------------------------------------------------------------------------
// Ablation-CAM

/**
 * Ablation-CAM (pytorch-grad-cam): the target layer's output with channel k replaced — by 0 when the
 * layer's minimum activation is 0, else by (minimum − 1e7) — is fed through the rest of the model;
 * w_k = (y − y_k)/y with the signed clean score y. Unlike the library, the replacement value does not
 * cascade down the batch (there it drops by another 1e7 per row, depending on the batch size).
 */
export function ablationCam(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return ablationPlan(AblationCAM, AblationCAM.explain as AblationPlan, model, x, layer, opts);
}

/** Channel ablation from its plan (see ablationCam). */
export async function ablationPlan(
  method: MethodDescriptor, plan: AblationPlan,
  model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions,
): Promise<PerturbationResult> {
  const ctx = await context(model, x, layer, opts);
  const { a, h, w, c } = await cleanActivations(ctx);
  ctx.progress.total = ctx.n * c;
  // Ablation scores are raw target scores: the reference divides by the signed logit.
  const t = await targets({ ...ctx, opts: { ...ctx.opts, scoreWeights: 'softmax' } });
  const hwc = h * w * c;
  // Token layers are ablated in their [T, C] form, every token of the channel (the leading ones
  // too), as pytorch-grad-cam's AblationLayerVit does; the map view only serves the weighting.
  const layout = isTokenAware(model) ? model.tokenLayout(ctx.x, layer) : null;
  let tokens: Float32Array | null = null;
  if (layout && isTokenAware(model)) tokens = await readF32(tf.tidy(() => model.rawActivations(ctx.x, layer)));
  const T = layout ? layout.prefix + h * w : h * w;
  const rows = T * c;
  const scores = new Float32Array(ctx.n * c);
  const ablationValue = new Float32Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) {
    const ai = tokens ? tokens.subarray(i * rows, (i + 1) * rows) : a.subarray(i * hwc, (i + 1) * hwc);
    let mn = Infinity;
    for (let j = 0; j < rows; j++) mn = Math.min(mn, ai[j]);
    const v = mn === 0 ? 0 : Math.fround(mn - 1e7);
    ablationValue[i] = v;
    for (let k0 = 0; k0 < c; k0 += ctx.batchSize) {
      checkAbort(ctx.opts.signal);
      const count = Math.min(ctx.batchSize, c - k0);
      const batch = new Float32Array(count * rows);
      for (let b = 0; b < count; b++) {
        const o = b * rows;
        batch.set(ai, o);
        for (let p = 0; p < T; p++) batch[o + p * c + k0 + b] = v;
      }
      const out = tf.tidy(() => {
        const xi = imageTensor(ctx, i);
        const ablated = tokens ? tf.tensor3d(batch, [count, T, c]) : tf.tensor4d(batch, [count, h, w, c]);
        const y = ctx.model.forwardFrom(tf.tile(xi, [count, 1, 1, 1]), ctx.layer, ablated);
        return t.score ? rowScores(t.score, y, repeat(i, count)) : y;
      });
      const o = await readF32(out);
      checkAbort(ctx.opts.signal);
      const nc = o.length / count;
      for (let b = 0; b < count; b++) scores[i * c + k0 + b] = t.score ? o[b] : o[b * nc + t.classIndex[i]];
      tick(ctx, count);
    }
  }
  const r = finish(ctx, method, plan.weights ?? (method as CamMethod), a, { h, w, c }, scores, { classIndex: t.classIndex, originalScore: t.original });
  return { ...r, ablationValue };
}

// ---------------------------------------------------------------------------------------------------
// SmoothGrad-CAM++

/**
 * SmoothGrad-CAM++ (torchcam): gradients of the target score at `numSamples` (4) inputs with N(0, `std`=0.3)
 * noise; α = E[g²] / (2·E[g²] + Σ_ij A·E[g³] + 1e-8) with A from the clean input; w_k = Σ_ij α·relu(g_last).
 */
export function smoothGradCampp(model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions = {}): Promise<PerturbationResult> {
  return noisyGradientPlan(SmoothGradCAMpp, SmoothGradCAMpp.explain as NoisyGradientPlan, model, x, layer, opts);
}

/** Grad-CAM++ weights from noisy-input gradients, from its plan (see smoothGradCampp). */
export async function noisyGradientPlan(
  method: MethodDescriptor, plan: NoisyGradientPlan,
  model: PerturbationModel, x: tf.Tensor, layer: string, opts: PerturbationOptions,
): Promise<PerturbationResult> {
  const numSamples = posInt(opts.numSamples, 'numSamples', plan.samples);
  const ctx = await context(model, x, layer, { ...opts, scoreWeights: 'softmax' });
  const std = opts.std ?? plan.noiseStd;
  const { a, h, w, c } = await cleanActivations(ctx);
  ctx.progress.total = ctx.n * numSamples;
  const t = await targets(ctx);
  const noise = gaussian(opts.seed ?? 0);
  const plane = ctx.H * ctx.W * ctx.ci, hwc = h * w * c, hw = h * w;
  const weights = new Float32Array(ctx.n * c);
  for (let i = 0; i < ctx.n; i++) {
    const g2 = new Float64Array(hwc), g3 = new Float64Array(hwc);
    let last: Float32Array | null = null;
    const xi = ctx.xData.subarray(i * plane, (i + 1) * plane);
    for (let s0 = 0; s0 < numSamples; s0 += ctx.batchSize) {
      checkAbort(ctx.opts.signal);
      const count = Math.min(ctx.batchSize, numSamples - s0);
      const noisy = new Float32Array(count * plane);
      for (let b = 0; b < count; b++) for (let j = 0; j < plane; j++) noisy[b * plane + j] = xi[j] + noise(std);
      const cls = t.classIndex[i];
      const gt = tf.tidy(() => {
        // Samples are independent rows, so the gradient of the summed target gives each row's own gradient.
        const score = t.score;
        const r = ctx.model.capture(tf.tensor4d(noisy, [count, ctx.H, ctx.W, ctx.ci]), ctx.layer, (out) =>
          score ? tf.sum(rowScores(score, out, repeat(i, count))) : makeScore(new Array<number>(count).fill(cls), out.shape)(out));
        return r.gradients;
      });
      const g = await readF32(gt);
      checkAbort(ctx.opts.signal);
      if (g.length !== count * hwc) throw new ModelError('E_MODEL', `Gradients at '${layer}' have ${g.length / count} values per image, activations ${hwc}.`);
      for (let b = 0; b < count; b++) {
        const gb = g.subarray(b * hwc, (b + 1) * hwc);
        for (let j = 0; j < hwc; j++) {
          const v = gb[j];
          g2[j] += v * v;
          g3[j] += v * v * v;
        }
        last = gb;
      }
      tick(ctx, count);
    }
    const ai = a.subarray(i * hwc, (i + 1) * hwc);
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += ai[p * c + k] * (g3[p * c + k] / numSamples);
      let wk = 0;
      for (let p = 0; p < hw; p++) {
        const e2 = g2[p * c + k] / numSamples;
        const alpha = e2 / (2 * e2 + s + 1e-8);
        wk += alpha * Math.max(last![p * c + k], 0);
      }
      weights[i * c + k] = wk;
    }
  }
  // 'probability' weights are used as given: the CAM arithmetic and post-processing stay in computeCamSync.
  const r = finish(ctx, method, plan.weights, a, { h, w, c }, weights, { classIndex: t.classIndex, originalScore: t.original, scoreWeights: 'probability' });
  return r;
}

// ---------------------------------------------------------------------------------------------------
// Augmentation smoothing

/** pytorch-grad-cam's aug_smooth set (ttach): horizontal flip × multiply by 0.9, 1, 1.1. */
export const AUG_SMOOTH = { flips: [false, true], factors: [0.9, 1, 1.1] } as const;

/**
 * Augmentation smoothing: runs `explain` on the 6 augmented inputs (flip × brightness factor),
 * flips each map back and averages them (no renormalisation, as pytorch-grad-cam). `explain` must
 * return [n][height][width] maps and should use fixed targets (e.g. the clean input's top class).
 */
export async function augSmooth(
  x: tf.Tensor, explain: (augmented: tf.Tensor4D) => Promise<{ map: Float32Array; height: number; width: number }>, opts: { signal?: AbortSignal } = {},
): Promise<{ map: Float32Array; height: number; width: number }> {
  if (!x || x.rank !== 4) throw new InputError('E_SHAPE', 'augSmooth needs an input [N, H, W, C].');
  let acc: Float64Array | null = null, height = 0, width = 0, runs = 0;
  for (const flip of AUG_SMOOTH.flips) {
    for (const f of AUG_SMOOTH.factors) {
      checkAbort(opts.signal);
      const xa = tf.tidy(() => tf.mul(flip ? tf.reverse(x, 2) : x, tf.scalar(f)) as tf.Tensor4D);
      let r;
      try {
        r = await explain(xa);
      } finally {
        xa.dispose();
      }
      if (!acc) {
        ({ height, width } = r);
        acc = new Float64Array(r.map.length);
      } else if (r.map.length !== acc.length) {
        throw new InputError('E_SHAPE', 'augSmooth: the maps of the augmented inputs differ in size.');
      }
      const rows = r.map.length / width;
      for (let y = 0; y < rows; y++) {
        for (let xx = 0; xx < width; xx++) acc[y * width + xx] += r.map[y * width + (flip ? width - 1 - xx : xx)];
      }
      runs++;
    }
  }
  return { map: Float32Array.from(acc!, (v) => v / runs), height, width };
}
