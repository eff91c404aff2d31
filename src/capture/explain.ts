// explain(): one call from (model, input, method, layer, target) to maps. Gradient methods capture
// activations and gradients through the adapter, read them with `await data()` (never dataSync:
// it blocks browsers) and hand plain arrays to computeCamSync, so the CAM arithmetic runs in
// camkit's kernels on every tfjs backend. Perturbation methods go to ./perturbation.ts, attention
// rollout to ./rollout.ts. Token layers ([N, T, C]) are seen as [N, h, w, C] maps (./tokens.ts).
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, InputError, ModelError, NameError, OptionError } from '../errors.js';
import { computeCamSync, type CamArrays, type CamOptions, type CamResult } from '../compute.js';
import { fuseMaps, resizeMapsSync, type FuseMode, type OutputMode } from '../core/post.js';
import { guidedGradCamSync } from '../methods/guided.js';
import { DEFAULT_METHOD, methodDescriptor } from '../methods/registry.js';
import type { CamMethod, MethodDescriptor } from '../methods/types.js';
import { getRuntime, type Runtime } from '../runtime/init.js';
import { loadExtension } from '../runtime/extension.js';
import { createAdapter, isAdapter, type AdapterOptions, type ExplainableModel, type ModelAdapter, type ScoreFn } from './adapter.js';
import { adapterOpts, withGuidedRelu } from './guided.js';
import { makeScore, onProbabilities, resolveTargets, targetForRows, type Target } from './targets.js';
import { ablationPlan, augSmooth, maskPlan, noisyGradientPlan, type PerturbationOptions, type PerturbationResult } from './perturbation.js';
import { withTokens } from './tokens.js';
import { finerTarget, type FinerOptions } from './target-library.js';
import { finiteDifferenceHvp, firstOrderHvp, piecewiseLinearHead, targetHessian, type SecondOrderMode } from './shapley.js';
import { refineMaps } from '../methods/refinecam.js';
import { fullGradMaps } from './fullgrad.js';
import { findAttention, postMaps, rolloutMaps, rolloutParams, type RolloutOptions, type RolloutPlan } from './rollout.js';
import { ATTRIBUTION_BATCH, attributionMaps, classRowScore, functionRowScore, type AttributionOptions, type AttributionPlan } from './attribution.js';

/** A method's canonical name (see METHODS in camkit). */
export type ExplainMethod = string;

export interface ExplainProgress {
  done: number;
  total: number;
}

export interface ExplainOptions extends Omit<CamOptions, 'output'>, AdapterOptions, RolloutOptions, AttributionOptions {
  /**
   * The map values: 'normalised' (default, the reference chain), 'raw' or 'signed' (computeCam's
   * `output`; here `output` names the model output explained).
   */
  values?: OutputMode;
  /** A method name or alias from the registry (default: DEFAULT_METHOD). Case-insensitive; '-', '_' and spaces are ignored. */
  method?: string;
  /** Target layer (LayersModel layer name, GraphModel node name, function hook name, or 'input'). */
  layer?: string;
  /** Several target layers, fused with `fuse`. */
  layers?: readonly string[];
  /** 'mean' (pytorch-grad-cam, default) or 'max-tanh' (torchcam Layer-CAM). */
  fuse?: FuseMode;
  /** Default 'top1'. */
  target?: Target;
  /** Score the raw output ('logits', default) or its softmax ('probabilities'). */
  scoreOn?: 'logits' | 'probabilities';
  /** [height, width] of the maps; default the input size. */
  size?: readonly [number, number];
  /** Images per gradient call (default: the whole batch); perturbation methods: inputs per model call. */
  batchSize?: number;
  onProgress?: (p: ExplainProgress) => void;
  signal?: AbortSignal;
  /** Kernels to use; default the initialised runtime. */
  runtime?: Runtime;
  /** Perturbation options, passed through (maxN, numSamples, std, seed, maskResize). */
  maxN?: number;
  numSamples?: number;
  std?: number;
  seed?: number;
  maskResize?: 'align-corners' | 'half-pixel';
  /**
   * pytorch-grad-cam's aug_smooth: the mean of the maps of 6 augmented inputs (horizontal flip ×
   * brightness 0.9/1/1.1), each flipped back, with the targets fixed to the clean input's classes.
   * 7 explanations instead of 1. CAM methods only.
   */
  augSmooth?: boolean;
  /** Finer-CAM: alpha and the comparison positions of its target (finerTarget's options). */
  finer?: FinerOptions;
  /**
   * ShapleyCAM's hvp: 'first-order' (exact when the head after the layer is piecewise linear; needs a
   * target whose Hessian is known), 'finite-difference' (central differences of the gradient along A,
   * any smooth head and any target), or 'auto' (default: first-order where it is exact, else finite differences).
   */
  secondOrder?: SecondOrderMode;
}

export interface ExplainResult extends Omit<CamResult, 'method'> {
  method: ExplainMethod;
  /** The class(es) each sample's score is about ([] for function targets). */
  targets: number[][];
  /** The first target class of each sample (−1 when none). */
  classIndex: Int32Array;
  /** [n] each sample's score (the target logit or probability, or the custom score). */
  score: Float32Array;
  /** The model output for the input, row-major, and its shape. */
  output: Float32Array;
  outputShape: number[];
  /** The layer(s) explained. */
  layer: string;
  layers: string[];
  /** With several layers: each layer's own result, before fusion. */
  perLayer?: CamResult[];
  /** GuidedBackprop: the input gradient; GuidedGradCAM: guided × Grad-CAM. [n][H][W][C]. */
  guided?: Float32Array;
  guidedShape?: number[];
  /** Gradient attributions: the per-channel values before the channel reduction, [n][H][W][C]. */
  attribution?: Float32Array;
  attributionShape?: number[];
  /** Path attributions: per image Σ attribution − (F(x) − F(baseline)), captum's convergence delta. */
  completeness?: Float32Array;
  /** Path attributions: per image F(x) − F(baseline). */
  scoreDifference?: Float32Array;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}


async function readF32(t: tf.Tensor): Promise<Float32Array> {
  const d = await t.data();
  // cpu's data() is the tensor's backing store: copy, so results never alias tfjs memory.
  return d instanceof Float32Array ? Float32Array.from(d) : Float32Array.from(d as ArrayLike<number>);
}

/** Per-sample scores from the output values, for class targets (sum over the target classes). */
function classScores(out: Float32Array, n: number, c: number, targets: number[][], probabilities: boolean): Float32Array {
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * c, (i + 1) * c);
    let p: ArrayLike<number> = row;
    if (probabilities) {
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let z = 0;
      const e = Array.from(row, (v) => Math.exp(v - m));
      for (const v of e) z += v;
      p = e.map((v) => v / z);
    }
    s[i] = c === 1 ? p[0] : targets[i].reduce((a, k) => a + p[k], 0);
  }
  return s;
}

/** The map scalings `values` takes (also accepted under the old name `output`). */
const POST_MODES: readonly string[] = ['normalised', 'raw', 'signed'];

/**
 * Explains `input` ([N,H,W,C] tensor) with `model` (tf.LayersModel, tf.GraphModel, a function
 * `(x, hook?) => output`, or an adapter from createAdapter). Nothing it creates outlives the call,
 * whether it returns or throws.
 */
export async function explain(model: ExplainableModel | ModelAdapter, input: tf.Tensor, opts: ExplainOptions = {}): Promise<ExplainResult> {
  const desc = opts.method === undefined ? DEFAULT_METHOD : methodDescriptor(opts.method);
  const method = desc.name;
  const plan = desc.explain;
  if (!input || typeof (input as { data?: unknown }).data !== 'function' || !Array.isArray(input.shape)) {
    throw new InputError('E_SHAPE', 'explain needs an input tf.Tensor [N, H, W, C].');
  }
  if (input.isDisposed) throw new InputError('E_DISPOSED', 'The input tensor is disposed.');
  if (input.rank !== 4) throw new InputError('E_SHAPE', `The input must be [N, H, W, C], got [${input.shape.join(', ')}].`);
  if (input.shape.some((d) => d === 0)) throw new InputError('E_EMPTY', `The input is empty ([${input.shape.join(', ')}]).`);
  if (input.dtype !== 'float32') throw new InputError('E_DTYPE', `The input must be float32, got ${input.dtype}.`);
  if (opts.layer !== undefined && opts.layers !== undefined) throw new OptionError('Pass either layer or layers, not both.');
  if (opts.layers !== undefined && (!Array.isArray(opts.layers) || opts.layers.length === 0)) throw new InputError('E_EMPTY', 'layers must be a non-empty array of names.');
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) {
    throw new OptionError(`batchSize must be a positive integer, got ${String(opts.batchSize)}.`);
  }
  // A per-sample list must match the batch (batches are sliced per chunk, which would hide a mismatch).
  if (Array.isArray(opts.target) && opts.target.length !== input.shape[0]) {
    throw new ModelError('E_TARGET', `${opts.target.length} target classes for a batch of ${input.shape[0]}.`);
  }
  if (plan.via === 'finer') {
    // The comparison target of the explained class(es): 'top1' (default), one index or one per sample.
    const t = opts.target ?? 'top1';
    if (!(t === 'top1' || typeof t === 'number' || Array.isArray(t))) throw new OptionError(`${method} explains a class: give a class index, one per sample or 'top1'.`);
    opts = { ...opts, target: finerTarget(t as number | number[] | 'top1', opts.finer) };
  }
  const fuse = opts.fuse ?? 'mean';
  if (fuse !== 'mean' && fuse !== 'max-tanh') throw new NameError('fuse mode', String(fuse), ['mean', 'max-tanh']);
  checkAbort(opts.signal);
  // Before `output` named a model output, it was the map scaling (now `values`): a scaling name that
  // is not one of the model's outputs keeps that meaning.
  if (typeof opts.output === 'string' && POST_MODES.includes(opts.output) && opts.values === undefined && !createAdapter(model, { ...adapterOpts(opts), output: undefined }).outputNames().includes(opts.output)) {
    opts = { ...opts, values: opts.output as OutputMode, output: undefined };
  }
  const ad = withTokens(createAdapter(model, adapterOpts(opts)), opts.tokens);
  const rt = opts.runtime ?? (await getRuntime());
  const [n, H, W] = input.shape as [number, number, number, number];
  const bind = binder(model, ad, opts, n);
  const { output: _output, inputs: _inputs, values, ...camOpts } = opts;
  const cam: CamOptions = { ...camOpts, output: values, outputSize: opts.size ?? opts.outputSize ?? [H, W] };
  // The final maps of one chunk alone must fit the arena: refuse before the model runs (each
  // computeCamSync checks its full plan again). Invalid sizes are left to resolvePost's E_SHAPE.
  const [oh, ow] = cam.outputSize!;
  if (Number.isInteger(oh) && Number.isInteger(ow) && oh > 0 && ow > 0) rt.arena.check([Math.min(opts.batchSize ?? n, n) * oh * ow]);

  if (plan.via === 'none') throw new ModelError('E_MODEL', `explain() cannot compute ${method}: ${plan.reason}.`);
  if (opts.augSmooth && (plan.via === 'input-gradient' || plan.via === 'guided-fusion' || plan.via === 'rollout' || plan.via === 'input-attribution' || plan.via === 'input-masks')) {
    throw new OptionError(`augSmooth applies to class activation maps, not to ${method}.`);
  }
  const outSize = opts.size ?? opts.outputSize;
  if (plan.via === 'guided-fusion' && outSize && (outSize[0] !== input.shape[1] || outSize[1] !== input.shape[2])) {
    throw new OptionError(`${method} needs maps at the input size: leave \`size\` unset.`);
  }
  if (plan.via === 'input-gradient') return guidedOnly(ad, input, opts, method);
  if (plan.via === 'rollout') return rolloutExplain(desc, plan, bind, input, opts, cam, rt);
  if (plan.via === 'bias-gradients') return fullGradExplain(ad, input, opts, cam, rt, method);
  if (plan.via === 'input-attribution' || plan.via === 'input-masks') return attributionExplain(desc, plan, ad, bind, input, opts, cam, rt);
  const layers = opts.layers ? [...opts.layers] : [opts.layer ?? ad.defaultLayer(input)];

  const perLayer: Array<CamResult & Partial<PerturbationResult>> = [];
  let head: { targets: number[][]; score: Float32Array; output: Float32Array; outputShape: number[] } | null = null;
  const total = layers.length * Math.ceil(n / (opts.batchSize ?? n));
  let done = 0;
  for (const layer of layers) {
    checkAbort(opts.signal);
    if (plan.via === 'masks' || plan.via === 'ablation' || plan.via === 'noisy-gradients') {
      if (!head) head = await forwardHead(ad, input, opts);
      // Score functions score every perturbed input themselves; class targets become one class per image.
      const fn = typeof opts.target === 'function' ? opts.target : null;
      const classIndex = head.targets.map((t) => t[0]);
      if (!fn && (classIndex.some((c) => c === undefined) || head.targets.some((t) => t.length !== 1))) {
        throw new ModelError('E_TARGET', `${method} explains one class per image: use a class index, indices per sample, 'top1', {rank} or a score function.`);
      }
      // `rows`: the images this run explains (their class, or their rows of a per-sample score function).
      const run = (a: ModelAdapter, x: tf.Tensor, rows: [number, number], progress: (p: { done: number; total: number }) => void) => {
        const ci = classIndex.slice(rows[0], rows[0] + rows[1]);
        const f = fn ? (targetForRows(fn, rows[0], rows[1], n) as typeof fn) : null;
        const popts: PerturbationOptions = f
          ? { ...cam, target: opts.scoreOn === 'probabilities' ? onProbabilities(f) : f, classIndex: undefined, runtime: rt }
          : { ...cam, target: ci, classIndex: ci, runtime: rt };
        if (opts.onProgress) popts.onProgress = progress;
        return plan.via === 'masks' ? maskPlan(desc, plan, a, x, layer, popts)
          : plan.via === 'ablation' ? ablationPlan(desc, plan, a, x, layer, popts)
          : noisyGradientPlan(desc, plan, a, x, layer, popts);
      };
      if (!bind.perSample || n === 1) {
        perLayer.push(await run(ad, input, [0, n], (p) => opts.onProgress!({ done: p.done, total: p.total * layers.length })));
      } else {
        // Other inputs that differ per image: each image runs with its own rows of them.
        const parts: PerturbationResult[] = [];
        for (let i = 0; i < n; i++) {
          const b = bind(i, 1);
          const xi = tf.slice(input, [i, 0, 0, 0], [1, -1, -1, -1]);
          try {
            parts.push(await run(b.ad, xi, [i, 1], (p) => opts.onProgress!({ done: i * p.total + p.done, total: n * p.total * layers.length })));
          } finally {
            xi.dispose();
            b.release();
          }
        }
        perLayer.push(concatParts(parts));
      }
    } else {
      // 'layer' methods run their own arithmetic; 'guided-fusion' runs its base CAM here and fuses below.
      const camMethod = plan.via === 'guided-fusion' || plan.via === 'finer' || plan.via === 'refine' ? plan.base : (desc as CamMethod);
      const r = await gradientCam(bind, input, layer, camMethod, plan.via === 'layer' && plan.capture === 'activations', opts, cam, rt, plan.via === 'second-order', () => {
        done++;
        opts.onProgress?.({ done, total });
      });
      head ??= r.head;
      perLayer.push({ ...r.result, method });
    }
  }
  const first = perLayer[0];
  const result: ExplainResult = {
    ...first,
    method,
    targets: head!.targets,
    classIndex: Int32Array.from(head!.targets, (t) => (t.length ? t[0] : -1)),
    score: head!.score,
    output: head!.output,
    outputShape: head!.outputShape,
    layer: layers[0],
    layers,
  };
  if (plan.via === 'refine') {
    if (layers.length > 1) result.perLayer = perLayer;
    result.map = refineMaps(perLayer.map((r) => r.map), n);
  } else if (layers.length > 1) {
    result.perLayer = perLayer;
    result.map = fuseMaps(
      perLayer.map((r) => r.map),
      fuse,
      { n, runtime: rt },
    );
  }
  if (opts.augSmooth) {
    // Class targets are fixed to what the clean input chose; function and top-k targets stay as given.
    const t = opts.target;
    const fixed = typeof t === 'function' || (typeof t === 'object' && t !== null && 'topK' in t) ? t : Array.from(result.classIndex);
    const smooth = await augSmooth(input, (xa) => explain(ad, xa, { ...opts, augSmooth: false, target: fixed, onProgress: undefined }), { signal: opts.signal });
    result.map = smooth.map;
  }
  if (plan.via === 'guided-fusion') {
    checkAbort(opts.signal);
    const gb = await guidedArrays(ad, input, opts);
    if (result.width !== W || result.height !== H) throw new OptionError(`${method} needs maps at the input size: leave \`size\` unset.`);
    result.guided = guidedGradCamSync(rt, { data: gb.data, shape: gb.shape }, result.map);
    result.guidedShape = gb.shape;
  }
  return result;
}

/** The model output and targets without gradients (for perturbation methods). */
async function forwardHead(ad: ModelAdapter, x: tf.Tensor, opts: ExplainOptions) {
  const out = ad.predict(x);
  try {
    return await headFrom(out, opts, x.shape[0]);
  } finally {
    out.dispose();
  }
}

async function headFrom(out: tf.Tensor, opts: ExplainOptions, n: number) {
  const output = await readF32(out);
  const outputShape = out.shape.slice();
  const c = outputShape.length >= 2 ? outputShape[outputShape.length - 1] : 1;
  const targets = resolveTargets(opts.target, output, n, c);
  let score: Float32Array;
  if (typeof opts.target === 'function') {
    const fn = opts.target;
    const per = tf.tidy(() => {
      const y = opts.scoreOn === 'probabilities' ? tf.softmax(out) : out;
      const s = fn(y);
      return s.rank <= 1 ? s.reshape([-1]) : tf.sum(s.reshape([s.shape[0], -1]), 1);
    });
    try {
      score = await readF32(per);
    } finally {
      per.dispose();
    }
  } else {
    score = classScores(output, n, outputShape.length === 2 ? c : output.length / n, targets, opts.scoreOn === 'probabilities');
  }
  return { targets: c === 1 && typeof opts.target !== 'function' ? targets.map(() => [0]) : targets, score, output, outputShape };
}

/**
 * ShapleyCAM's hvp at the layer (./shapley.ts): the first-order recipe where it is exact (a piecewise
 * linear head and a target with a known Hessian), else central differences; undefined when it is zero.
 */
async function secondOrderTerm(
  ad: ModelAdapter,
  xs: tf.Tensor,
  layer: string,
  a: Float32Array,
  shape: number[],
  target: Target | undefined,
  score: ScoreFn,
  head: Awaited<ReturnType<typeof headFrom>>,
  count: number,
  opts: ExplainOptions,
): Promise<CamArrays['hvp']> {
  const mode = opts.secondOrder ?? 'auto';
  if (mode !== 'auto' && mode !== 'first-order' && mode !== 'finite-difference') throw new OptionError(`secondOrder must be 'auto', 'first-order' or 'finite-difference', got ${String(mode)}.`);
  const K = head.outputShape[head.outputShape.length - 1];
  let H: Float64Array | null | undefined;
  if (mode === 'first-order' || (mode === 'auto' && piecewiseLinearHead(ad.headOps?.(layer) ?? null))) {
    try {
      H = targetHessian(target, opts.scoreOn === 'probabilities', head.output, count, K, head.targets);
    } catch (e) {
      if (mode === 'first-order') throw e; // auto: a target without a known Hessian takes the differences
    }
  }
  if (H === null) return undefined; // a target linear in the output of a piecewise-linear head: hvp = 0
  if (H) return { data: await firstOrderHvp(ad, xs, layer, a, H, K), shape };
  return { data: await finiteDifferenceHvp(ad, xs, layer, score), shape };
}

async function gradientCam(
  bind: Binder,
  x: tf.Tensor,
  layer: string,
  method: CamMethod,
  activationsOnly: boolean,
  opts: ExplainOptions,
  cam: CamOptions,
  rt: Runtime,
  secondOrder: boolean,
  tick: () => void,
): Promise<{ result: CamResult; head: Awaited<ReturnType<typeof headFrom>> }> {
  const n = x.shape[0];
  const bs = opts.batchSize ?? n;
  const parts: CamResult[] = [];
  const heads: Awaited<ReturnType<typeof headFrom>>[] = [];
  for (let s = 0; s < n; s += bs) {
    checkAbort(opts.signal);
    const count = Math.min(bs, n - s);
    const xs = count === n ? x : tf.slice(x, [s, 0, 0, 0], [count, -1, -1, -1]);
    let cap: { activations: tf.Tensor; gradients: tf.Tensor; output: tf.Tensor } | null = null;
    const { ad, release } = bind(s, count);
    try {
      // Per-sample targets follow the batch slice; validated against the real output shape.
      const target = targetForRows(opts.target, s, count, n);
      const score = (out: tf.Tensor) => makeScore(target, out.shape, { on: opts.scoreOn })(out);
      if (activationsOnly) {
        // No gradients needed: the forward to A, then only the part after it for the output.
        const A = ad.activations(xs, layer);
        try {
          cap = { activations: A, gradients: tf.tensor1d([], 'float32'), output: ad.forwardFrom(xs, layer, A) };
        } catch (e) {
          A.dispose();
          throw e;
        }
        // Validates the target against the real output, as a capture would.
        if (target !== undefined && typeof target !== 'function') {
          const out = cap.output;
          tf.tidy(() => {
            makeScore(target, out.shape)(out);
          });
        }
      } else {
        cap = ad.capture(xs, layer, score);
      }
      if (cap.activations.rank !== 4) {
        throw new ModelError('E_MODEL', `Layer '${layer}' outputs [${cap.activations.shape.join(', ')}]; CAM methods need a 4-D [N, H, W, C] feature map or [N, T, C] tokens.`);
      }
      const [a, g] = await Promise.all([readF32(cap.activations), activationsOnly ? null : readF32(cap.gradients)]);
      const sub = { ...opts, target };
      const head = await headFrom(cap.output, sub, count);
      heads.push(head);
      checkAbort(opts.signal);
      const shape = cap.activations.shape;
      const inputs: CamArrays = { activations: { data: a, shape }, inputSize: [x.shape[1]!, x.shape[2]!] as [number, number] };
      if (secondOrder) inputs.hvp = await secondOrderTerm(ad, xs, layer, a, shape, target, score, head, count, opts);
      if (method.cam.extension) await loadExtension(rt);
      parts.push(computeCamSync(rt, method, g ? { ...inputs, gradients: { data: g, shape } } : inputs, cam));
      tick();
    } finally {
      if (cap) tf.dispose([cap.activations, cap.gradients, cap.output]);
      if (xs !== x) xs.dispose();
      release();
    }
  }
  return { result: concatResults(parts), head: concatHeads(heads) };
}

/** The adapter for images s…s+count−1: fixed inputs with one row per image are sliced to those rows. */
type Binder = ((s: number, count: number) => { ad: ModelAdapter; release(): void }) & { perSample: boolean };

function binder(model: ExplainableModel | ModelAdapter, ad: ModelAdapter, opts: ExplainOptions, n: number): Binder {
  const given = opts.inputs;
  const list = given === undefined ? [] : Array.isArray(given) ? [...given] : Object.values(given as Record<string, tf.Tensor>);
  const perSample = n > 1 && !isAdapter(model) && list.some((t) => t?.shape?.[0] === n);
  const same = () => ({ ad, release: () => {} });
  const b = (s: number, count: number) => {
    if (!perSample || count === n) return same();
    const made: tf.Tensor[] = [];
    const cut = (t: tf.Tensor) => {
      if (t.shape[0] !== n) return t;
      const r = tf.slice(t, [s, ...new Array<number>(t.rank - 1).fill(0)], [count, ...new Array<number>(t.rank - 1).fill(-1)]);
      made.push(r);
      return r;
    };
    try {
      const inputs = Array.isArray(given) ? list.map(cut) : Object.fromEntries(Object.entries(given as Record<string, tf.Tensor>).map(([k, t]) => [k, cut(t)]));
      return { ad: withTokens(createAdapter(model, { ...adapterOpts(opts), inputs }), opts.tokens), release: () => tf.dispose(made) };
    } catch (e) {
      tf.dispose(made);
      throw e;
    }
  };
  return Object.assign(b, { perSample });
}

/** One perturbation result from per-image ones (typed arrays concatenated, counts summed). */
function concatParts(parts: PerturbationResult[]): PerturbationResult {
  const r: Record<string, unknown> = { ...parts[0] };
  r.n = parts.reduce((a, p) => a + p.n, 0);
  for (const [k, v] of Object.entries(parts[0])) {
    if (v instanceof Float32Array || v instanceof Int32Array) {
      const all = parts.map((p) => (p as unknown as Record<string, Float32Array | Int32Array>)[k]);
      const out = new (v.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(all.reduce((a, x) => a + x.length, 0));
      let o = 0;
      for (const x of all) {
        out.set(x, o);
        o += x.length;
      }
      r[k] = out;
    } else if (k === 'iterations' && Array.isArray(v)) {
      r[k] = parts.flatMap((p) => p.iterations ?? []);
    }
  }
  return r as unknown as PerturbationResult;
}

function concatF32(xs: Float32Array[]): Float32Array {
  if (xs.length === 1) return xs[0];
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of xs) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

function concatResults(parts: CamResult[]): CamResult {
  if (parts.length === 1) return parts[0];
  const r = { ...parts[0] };
  r.n = parts.reduce((a, p) => a + p.n, 0);
  r.weights = parts[0].weights ? concatF32(parts.map((p) => p.weights!)) : null;
  r.lowres = concatF32(parts.map((p) => p.lowres));
  r.map = concatF32(parts.map((p) => p.map));
  if (parts[0].iterations) r.iterations = parts.flatMap((p) => p.iterations ?? []);
  return r;
}

function concatHeads(hs: Awaited<ReturnType<typeof headFrom>>[]): Awaited<ReturnType<typeof headFrom>> {
  if (hs.length === 1) return hs[0];
  return {
    targets: hs.flatMap((h) => h.targets),
    score: concatF32(hs.map((h) => h.score)),
    output: concatF32(hs.map((h) => h.output)),
    outputShape: [hs.reduce((a, h) => a + h.outputShape[0], 0), ...hs[0].outputShape.slice(1)],
  };
}

/** Attention rollout (either weighting) over the attention layers, in chunks of `batchSize` images. */
async function rolloutExplain(
  desc: MethodDescriptor, plan: RolloutPlan, bind: Binder, x: tf.Tensor, opts: ExplainOptions, cam: CamOptions, rt: Runtime,
): Promise<ExplainResult> {
  const p = rolloutParams(desc, plan, opts);
  if (opts.layer !== undefined || opts.layers !== undefined) {
    throw new OptionError(`${desc.name} reads the attention probabilities of every block: name them with \`attention\`, not \`layer\`.`);
  }
  const names = opts.attention ? [...opts.attention] : await findAttention(bind(0, x.shape[0]).ad, x);
  if (!names.length) {
    throw new ModelError('E_MODEL', `${desc.name} needs a token model that exposes its attention probabilities [N, heads, T, T] (hook them in a function model, or name the Softmax nodes of a GraphModel) and found none: pass \`attention\`.`);
  }
  const n = x.shape[0];
  const bs = opts.batchSize ?? n;
  const lows: Float32Array[] = [];
  const heads: Awaited<ReturnType<typeof headFrom>>[] = [];
  let hw: [number, number] = [0, 0];
  for (let s = 0; s < n; s += bs) {
    checkAbort(opts.signal);
    const count = Math.min(bs, n - s);
    const xs = count === n ? x : tf.slice(x, [s, 0, 0, 0], [count, -1, -1, -1]);
    const { ad, release } = bind(s, count);
    try {
      const target = targetForRows(opts.target, s, count, n);
      const score = (out: tf.Tensor) => makeScore(target, out.shape, { on: opts.scoreOn })(out);
      const r = await rolloutMaps(plan, ad, xs, names, score, { ...p, tokens: opts.tokens, signal: opts.signal });
      try {
        heads.push(await headFrom(r.output, { ...opts, target }, count));
      } finally {
        r.output.dispose();
      }
      lows.push(r.lowres);
      hw = [r.h, r.w];
      opts.onProgress?.({ done: s + count, total: n });
    } finally {
      if (xs !== x) xs.dispose();
      release();
    }
  }
  checkAbort(opts.signal);
  const head = concatHeads(heads);
  const r = postMaps(rt, desc.name, concatF32(lows), n, hw[0], hw[1], cam, [x.shape[1]!, x.shape[2]!]);
  return {
    ...r,
    method: desc.name,
    ...head,
    classIndex: Int32Array.from(head.targets, (t) => (t.length ? t[0] : -1)),
    layer: names[names.length - 1],
    layers: names,
  };
}

/** Input attributions (gradient or forward-only): targets fixed on the clean output, maps at the input size. */
async function attributionExplain(
  desc: MethodDescriptor, plan: AttributionPlan, ad: ModelAdapter, bind: Binder, x: tf.Tensor, opts: ExplainOptions, cam: CamOptions, rt: Runtime,
): Promise<ExplainResult> {
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const out = ad.predict(x);
  let head: Awaited<ReturnType<typeof headFrom>>;
  let score;
  try {
    head = await headFrom(out, opts, n);
    checkAbort(opts.signal);
    if (typeof opts.target === 'function') {
      const fn = opts.scoreOn === 'probabilities' ? onProbabilities(opts.target) : opts.target;
      score = functionRowScore(fn.info?.fix ? await fn.info.fix(out) : fn);
    } else {
      if (out.rank < 2) throw new ModelError('E_MODEL', `Class targets need a [N, classes] output; this model's output is [${out.shape.join(', ')}]. Pass a score function.`);
      score = classRowScore(head.targets, opts.scoreOn === 'probabilities');
    }
  } finally {
    out.dispose();
  }
  const xData = Float32Array.from((await x.data()) as Float32Array);
  checkAbort(opts.signal);
  const run = await attributionMaps(desc, plan, x, xData, {
    adapterFor: (i) => bind(i, 1),
    shareable: !bind.perSample,
    score,
    batchSize: opts.batchSize ?? ATTRIBUTION_BATCH,
    onProgress: opts.onProgress,
    signal: opts.signal,
  }, opts);
  checkAbort(opts.signal);
  const r = postMaps(rt, desc.name, run.lowres, n, H, W, cam, [H, W]);
  const result: ExplainResult = {
    ...r,
    method: desc.name,
    ...head,
    classIndex: Int32Array.from(head.targets, (t) => (t.length ? t[0] : -1)),
    layer: 'input',
    layers: ['input'],
  };
  if (run.attribution) {
    result.attribution = run.attribution;
    result.attributionShape = [n, H, W, C];
  }
  if (run.completeness) {
    result.completeness = run.completeness;
    result.scoreDifference = run.scoreDifference;
  }
  return result;
}

async function guidedArrays(ad: ModelAdapter, x: tf.Tensor, opts: ExplainOptions) {
  const score = (out: tf.Tensor) => makeScore(opts.target, out.shape, { on: opts.scoreOn })(out);
  const { gradients, output } = withGuidedRelu(() => ad.inputGradient(x, score));
  try {
    const [data, head] = await Promise.all([readF32(gradients), headFrom(output, opts, x.shape[0])]);
    return { data, shape: gradients.shape.slice(), head };
  } finally {
    gradients.dispose();
    output.dispose();
  }
}

async function guidedOnly(ad: ModelAdapter, x: tf.Tensor, opts: ExplainOptions, method: ExplainMethod): Promise<ExplainResult> {
  const gb = await guidedArrays(ad, x, opts);
  const [n, H, W, C] = gb.shape;
  opts.onProgress?.({ done: 1, total: 1 });
  return {
    method,
    n,
    channels: C,
    weights: null,
    lowres: new Float32Array(0),
    lowresShape: [0, 0],
    map: gb.data,
    width: W,
    height: H,
    kernels: (opts.runtime ?? (await getRuntime())).flavor,
    ...gb.head,
    classIndex: Int32Array.from(gb.head.targets, (t) => (t.length ? t[0] : -1)),
    layer: 'input',
    layers: ['input'],
    guided: gb.data,
    guidedShape: gb.shape,
  };
}

/** FullGrad: input and bias-gradient maps at the input size (./fullgrad.ts), resized when `size` asks. */
async function fullGradExplain(ad: ModelAdapter, x: tf.Tensor, opts: ExplainOptions, cam: CamOptions, rt: Runtime, method: ExplainMethod): Promise<ExplainResult> {
  const score = (out: tf.Tensor) => makeScore(opts.target, out.shape, { on: opts.scoreOn })(out);
  const [n, H, W] = x.shape as [number, number, number, number];
  const r = await fullGradMaps(ad, x, score, rt, method);
  let head;
  try {
    head = await headFrom(r.output, opts, n);
  } finally {
    r.output.dispose();
  }
  const [oh, ow] = cam.outputSize ?? [H, W];
  const map = oh === H && ow === W ? r.map : resizeMapsSync(rt, r.map, n, H, W, oh, ow);
  opts.onProgress?.({ done: 1, total: 1 });
  return {
    method,
    n,
    channels: 0,
    weights: null,
    lowres: r.map,
    lowresShape: [H, W],
    map,
    width: ow,
    height: oh,
    kernels: rt.flavor,
    ...head,
    classIndex: Int32Array.from(head.targets, (t) => (t.length ? t[0] : -1)),
    layer: 'input',
    layers: r.layers,
  };
}
