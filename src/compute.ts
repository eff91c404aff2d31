// The facade: activations (+ gradients, classifier weights or stored scores) → weights, the raw
// low-resolution map and the final map. computeCam reads tensors asynchronously and then runs
// computeCamSync, which does everything in one synchronous arena plan: validate, plan all buffers
// (inputs, weights, method scratch, low-res map, post-processing), copy in, compute, copy out.
import { InputError, ModelError, NameError, OptionError } from './errors.js';
import type { F32, KernelFlavor } from './kernels/types.js';
import { getRuntime, type Runtime } from './runtime/init.js';
import { loadExtension } from './runtime/extension.js';
import { getMethod } from './methods/registry.js';
import type { CamMethod, MethodDescriptor, MethodDims, MethodName, MethodParams } from './methods/types.js';
import { postBuffers, postProcess, resolvePost, type PostOptions, type ResolvedPost } from './core/post.js';
import {
  checkFinite,
  nonFiniteError,
  describeInput,
  firstNonFinite,
  nhwc,
  readInput,
  sameShape,
  zeroNonFinite,
  type ArrayInput,
  type InputLike,
  type NonFinitePolicy,
} from './core/inputs.js';

export interface CamInputs<T = InputLike> {
  /** Target-layer activations [N,H,W,C] (or [H,W,C] for one image). */
  activations: T;
  /** d score / d activations, same shape; required by gradient methods. */
  gradients?: T;
  /** ShapleyCAM: H·A at the layer, same shape as the activations (absent: zero, as pytorch-grad-cam when autograd gives none). */
  hvp?: T;
  /** CAM: the dense kernel after global average pooling, [C, numClasses]. */
  classifierWeights?: T;
  /** CAM: the target class, one for all images or one per image. */
  classIndex?: number | readonly number[];
  /** ScoreCAM: [N·C] scores of the masked inputs. AblationCAM: [N·C] target scores with channel k ablated. */
  scores?: ArrayLike<number>;
  /** AblationCAM: the target score of the unablated input, one per image (signed). */
  originalScore?: number | ArrayLike<number>;
  /** [height, width] of the model input: the default output size. */
  inputSize?: readonly [number, number];
}

export type CamArrays = CamInputs<ArrayInput>;

export interface CamOptions extends PostOptions {
  /** NaN/±Inf in inputs: 'error' (default) throws E_NONFINITE, 'zero' replaces them with 0. */
  nonFinite?: NonFinitePolicy;
  /** ScoreCAM: 'softmax' over channels of raw scores (default, pytorch-grad-cam) or 'probability' (paper). */
  scoreWeights?: 'softmax' | 'probability';
  /** Eigen methods: power-iteration limits (defaults 1000 iterations, tolerance 1e-6). */
  eigen?: { maxIter?: number; tol?: number };
  /** RandomCAM: the seed of its random weights (default 0). */
  seed?: number;
  /**
   * Write the final maps into this Float32Array of n·height·width values instead of a new one
   * (result.map is then `out`). For per-frame loops: a fresh 224² array costs about as
   * much as the whole Grad-CAM post-processing.
   */
  out?: Float32Array;
}

export interface CamResult {
  method: MethodName;
  /** Images in the batch. */
  n: number;
  /** Channels of the target layer. */
  channels: number;
  /** [n][channels] per-channel weights, or null for methods without weights. */
  weights: Float32Array | null;
  /** [n][h][w] the method's map before ReLU, normalisation and resize. */
  lowres: Float32Array;
  lowresShape: [number, number];
  /** [n][height][width] the final maps. */
  map: Float32Array;
  width: number;
  height: number;
  /** The kernel flavor that computed it. */
  kernels: KernelFlavor;
  /** Eigen methods: power iterations used, per image. */
  iterations?: number[];
}

/** The weights, raw map and final map of image `i` of a result (views, not copies). */
export function camSample(r: CamResult, i: number): { weights: Float32Array | null; lowres: Float32Array; map: Float32Array } {
  if (!Number.isInteger(i) || i < 0 || i >= r.n) throw new OptionError(`Sample ${i} is out of range for a batch of ${r.n}.`);
  const hw = r.lowresShape[0] * r.lowresShape[1], HW = r.width * r.height;
  return {
    weights: r.weights ? r.weights.subarray(i * r.channels, (i + 1) * r.channels) : null,
    lowres: r.lowres.subarray(i * hw, (i + 1) * hw),
    map: r.map.subarray(i * HW, (i + 1) * HW),
  };
}

interface Shapes {
  activations: readonly number[];
  gradients?: readonly number[];
  classifierWeights?: readonly number[];
}

interface Plan {
  m: CamMethod;
  d: MethodDims;
  post: ResolvedPost;
  counts: number[];
  numClasses?: number;
}

/** Every check that needs only shapes and options, then the buffer plan. No allocation. */
function plan(method: string | MethodDescriptor, inputs: CamInputs<unknown>, opts: CamOptions): { p: Plan; shapes: Shapes } {
  const m = getMethod(method);
  const needsGradients = m.needs.includes('gradients');
  if (inputs === null || typeof inputs !== 'object') throw new InputError('E_MISSING', 'computeCam needs an inputs object: { activations, gradients?, … }.');
  if (inputs.activations === undefined) throw new InputError('E_MISSING', `${m.name} needs activations.`);
  const shapes: Shapes = { activations: describeInput(inputs.activations, 'activations') };
  const [n, h, w, c] = nhwc(shapes.activations, 'activations');
  if (needsGradients) {
    if (inputs.gradients === undefined) throw new InputError('E_MISSING', `${m.name} needs gradients of the same shape as the activations.`);
    shapes.gradients = describeInput(inputs.gradients, 'gradients');
    sameShape(shapes.activations, shapes.gradients, 'activations', 'gradients');
  }
  if (inputs.hvp !== undefined) sameShape(shapes.activations, describeInput(inputs.hvp, 'hvp'), 'activations', 'hvp');
  const d: MethodDims = { n, h, w, c, hw: h * w };
  let numClasses: number | undefined;
  for (const need of m.needs) {
    if (need !== 'activations' && need !== 'gradients' && inputs[need] === undefined) throw new InputError('E_MISSING', `${m.name} needs ${need}.`);
  }
  if (m.needs.includes('classifierWeights')) {
    const s = (shapes.classifierWeights = describeInput(inputs.classifierWeights, 'classifierWeights'));
    if (s.length !== 2 || s[0] !== c) {
      throw new InputError('E_SHAPE', `classifierWeights [${s.join(', ')}] must be [channels, classes] with ${c} channels, as the activations [${shapes.activations.join(', ')}].`);
    }
    numClasses = s[1];
    const ci = inputs.classIndex;
    const list = typeof ci === 'number' ? [ci] : ci;
    if (!list || (list.length !== 1 && list.length !== n)) throw new ModelError('E_TARGET', `classIndex must be one class or one per image (${n}).`);
    for (const k of list) {
      if (!Number.isInteger(k) || k < 0 || k >= numClasses) throw new ModelError('E_TARGET', `classIndex ${k} is out of range for ${numClasses} classes.`);
    }
  }
  if (m.needs.includes('scores')) {
    const s = inputs.scores;
    if (!s || typeof s.length !== 'number' || s.length !== n * c) {
      throw new InputError('E_SHAPE', `${m.name} needs scores for every channel of every image (${n}×${c} = ${n * c}), got ${s?.length ?? 'none'}.`);
    }
  }
  if (m.needs.includes('originalScore')) {
    const o = inputs.originalScore;
    const len = typeof o === 'number' ? 1 : o!.length;
    if (len !== 1 && len !== n) throw new InputError('E_SHAPE', `originalScore must be one number or one per image (${n}), got ${len}.`);
  }
  const post = resolvePost(h, w, opts, inputs.inputSize);
  // Methods with gradientWeights share one input buffer between G and A (see CamMethod).
  const counts = [n * d.hw * c, needsGradients && !m.cam.gradientWeights ? n * d.hw * c : 0, m.cam.hasWeights ? n * c : 0, n * d.hw, ...m.cam.scratch(d), ...postBuffers(n, h, w, post)];
  return { p: { m, d, post, counts, numClasses }, shapes };
}

/**
 * Computes a class activation map from arrays, synchronously, on a given runtime.
 * Validation (shapes, dtypes, values, memory) happens before anything is allocated.
 */
export function computeCamSync(rt: Runtime, method: string | MethodDescriptor, arrays: CamArrays, opts: CamOptions = {}): CamResult {
  const { p } = plan(method, arrays, opts);
  const { m, d, post } = p;
  const policy = opts.nonFinite ?? 'error';
  if (policy !== 'error' && policy !== 'zero') throw new NameError('nonFinite policy', String(policy), ['error', 'zero']);
  const mapLength = d.n * post.oh * post.ow;
  if (opts.out !== undefined) {
    const o = opts.out;
    if (!(o instanceof Float32Array)) throw new InputError('E_DTYPE', `out must be a Float32Array, got ${Object.prototype.toString.call(o)}.`);
    if (o.length !== mapLength) throw new InputError('E_SHAPE', `out has ${o.length} values; the maps need ${d.n}×${post.oh}×${post.ow} = ${mapLength}.`);
    if (rt.arena.owns(o.buffer)) throw new OptionError('out is a view of camkit\'s kernel memory, which the next call overwrites; pass an array of your own.');
  }
  // The NaN/±Inf scan of A and G runs in the first_nonfinite kernel on the arena copies (4–20× faster
  // than scanning in JS), or not at all for methods that propagate bad values into the low-res map
  // (propagatesNonFinite, checked after the method). When this call would grow the arena, it runs in
  // JS first instead, so a rejected call never grows memory.
  const fits = rt.arena.check(p.counts) <= rt.arena.byteLength;
  const A = arrays.activations.data;
  const G = m.needs.includes('gradients') ? arrays.gradients!.data : null;
  if (!fits) {
    checkFinite(A, 'activations', policy);
    if (G) checkFinite(G, 'gradients', policy);
  }
  const params = methodParams(m, d, arrays, opts, p.numClasses, policy);

  const { f } = rt.arena.take(p.counts);
  const [a, g, wts, lowres, ...rest] = f;
  const scratch = rest.slice(0, rest.length - 3);
  const [work, out, tmp] = rest.slice(rest.length - 3);
  const shared = G !== null && m.cam.gradientWeights !== undefined;
  const scanInputs = () => {
    if (shared) {
      // G was overwritten by A in kernel memory: name the culprit from the caller's arrays.
      checkFinite(A, 'activations', 'error');
      checkFinite(G, 'gradients', 'error');
      return;
    }
    for (const [x, name] of G ? ([[a, 'activations'], [g, 'gradients']] as const) : ([[a, 'activations']] as const)) {
      const i = rt.kernels.first_nonfinite(x, x.length);
      if (i >= 0) throw nonFiniteError(name, x[i], i);
    }
  };
  const load = (x: F32, src: Float32Array) => {
    x.set(src);
    if (policy === 'zero') zeroNonFinite(x);
  };
  if (shared) {
    load(a, G);
    if (fits && policy === 'error' && !m.cam.propagatesNonFinite) scanInputs();
    m.cam.gradientWeights!(rt, d, a, wts);
    load(a, A);
  } else {
    load(a, A);
    if (G) load(g, G);
    if (fits && policy === 'error' && !m.cam.propagatesNonFinite) scanInputs();
  }
  const extra = m.cam.run(rt, d, { a, g: G && !shared ? g : null, weights: m.cam.hasWeights ? wts : null, lowres, scratch }, params);
  // The low-res map (n·h·w values) is always scanned. For methods that propagate non-finite inputs
  // this replaces the scan of A and G, which then runs only to name the culprit. What remains is a
  // float32 overflow of finite inputs (|a·g| summed past 3.4e38): a typed error, not a NaN map.
  const over = firstNonFinite(lowres);
  if (over >= 0) {
    if (policy === 'error' && fits && m.cam.propagatesNonFinite) scanInputs();
    throw new InputError('E_NONFINITE', `The ${m.name} map overflows float32 (${lowres[over]} at index ${over}): the activations or gradients are too large; scale them down.`);
  }
  const result: CamResult = {
    method: m.name,
    n: d.n,
    channels: d.c,
    weights: m.cam.hasWeights ? new Float32Array(d.n * d.c) : null,
    lowres: new Float32Array(d.n * d.hw),
    lowresShape: [d.h, d.w],
    map: opts.out ?? new Float32Array(mapLength),
    width: post.ow,
    height: post.oh,
    kernels: rt.flavor,
  };
  result.weights?.set(wts);
  result.lowres.set(lowres);
  postProcess(rt, lowres, work, out, tmp, d.n, d.h, d.w, post);
  result.map.set(out);
  if (extra && extra.iterations) result.iterations = extra.iterations;
  return result;
}

function methodParams(m: CamMethod, d: MethodDims, x: CamArrays, opts: CamOptions, numClasses: number | undefined, policy: NonFinitePolicy): MethodParams {
  const scoreWeights = opts.scoreWeights ?? 'softmax';
  if (scoreWeights !== 'softmax' && scoreWeights !== 'probability') {
    throw new NameError('scoreWeights', String(scoreWeights), ['softmax', 'probability']);
  }
  const maxIter = opts.eigen?.maxIter ?? 1000, tol = opts.eigen?.tol ?? 1e-6;
  if (!Number.isInteger(maxIter) || maxIter < 1 || !(tol >= 0)) throw new OptionError(`eigen.maxIter must be a positive integer and eigen.tol ≥ 0.`);
  const p: MethodParams = { scoreWeights, eigenMaxIter: maxIter, eigenTol: tol, seed: opts.seed };
  // These are small (C, N·C or C·classes values): plain copies, validated, then used by the method.
  if (m.needs.includes('classifierWeights')) {
    const W = x.classifierWeights!.data;
    checkFinite(W, 'classifierWeights', 'error');
    p.classifierWeights = W;
    p.numClasses = numClasses;
    const ci = typeof x.classIndex === 'number' ? [x.classIndex] : x.classIndex!;
    p.classIndex = Int32Array.from({ length: d.n }, (_, i) => ci[ci.length === 1 ? 0 : i]);
  }
  if (x.hvp !== undefined) {
    checkFinite(x.hvp.data, 'hvp', 'error');
    p.hvp = x.hvp.data;
  }
  if (m.needs.includes('scores')) {
    p.scores = Float32Array.from(x.scores!);
    checkFinite(p.scores, 'scores', policy);
    if (policy === 'zero') zeroNonFinite(p.scores);
  }
  if (m.needs.includes('originalScore')) {
    const o = x.originalScore!;
    const list = typeof o === 'number' ? [o] : Array.from(o);
    p.originalScore = Float32Array.from({ length: d.n }, (_, i) => list[list.length === 1 ? 0 : i]);
    if (firstNonFinite(p.originalScore) >= 0) throw new InputError('E_NONFINITE', `originalScore must be finite, got ${p.originalScore.join(', ')}.`);
    if (p.originalScore.some((v) => v === 0)) throw new InputError('E_VALUE', `originalScore must be non-zero (${m.name} divides by it), got ${p.originalScore.join(', ')}.`);
  }
  return p;
}

/**
 * Computes a class activation map. Inputs may be tf.Tensors (read with `await data()`, never
 * disposed or created here) or {data: Float32Array, shape}. Initialises camkit on first use.
 */
export async function computeCam(method: string | MethodDescriptor, inputs: CamInputs, opts: CamOptions = {}): Promise<CamResult> {
  const rt = await getRuntime();
  const { p } = plan(method, inputs, opts);
  rt.arena.check(p.counts);
  if (p.m.cam.extension) await loadExtension(rt);
  const [activations, gradients, classifierWeights, hvp] = await Promise.all([
    readInput(inputs.activations, 'activations'),
    p.m.needs.includes('gradients') ? readInput(inputs.gradients!, 'gradients') : undefined,
    p.m.needs.includes('classifierWeights') ? readInput(inputs.classifierWeights!, 'classifierWeights') : undefined,
    inputs.hvp !== undefined ? readInput(inputs.hvp, 'hvp') : undefined,
  ]);
  return computeCamSync(rt, method, { ...inputs, activations, gradients, classifierWeights, hvp }, opts);
}
