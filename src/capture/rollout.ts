// Attention rollout from a model: the attention probabilities of every block are read (and, for the
// gradient-weighted variant, their gradients) through the adapter, one layer at a time, and rolled
// out in ../methods/rollout.ts. The attention layers are given (`attention`: hook names of a
// function model, node names of a GraphModel, layer names of a LayersModel) or found: Softmax nodes
// of shape [N, heads, T, T] in GraphModels, and elsewhere the layers of that shape whose rows are
// probability distributions.
import type * as tf from '@tensorflow/tfjs-core';
import { AbortError, InputError, ModelError, NameError, OptionError } from '../errors.js';
import type { CamOptions, CamResult } from '../compute.js';
import { postBuffers, postProcess, resolvePost } from '../core/post.js';
import { firstNonFinite } from '../core/inputs.js';
import { attentionRollout, gradientRollout, rolloutRow } from '../methods/rollout.js';
import type { ExplainPlan, HeadFusion, MethodDescriptor } from '../methods/types.js';
import type { Runtime } from '../runtime/init.js';
import type { ModelAdapter, ScoreFn } from './adapter.js';
import { tokenLayout, type TokenOptions } from './tokens.js';

export type RolloutPlan = Extract<ExplainPlan, { via: 'rollout' }>;

export interface RolloutOptions {
  /** The layers holding each block's attention probabilities, in block order (default: found, see above). */
  attention?: readonly string[];
  /** Attention rollout: how the heads of a block are merged (default: the method's, 'mean'). */
  headFusion?: HeadFusion;
  /** Attention rollout: the fraction of lowest attentions zeroed in each block, in [0, 1) (default 0). */
  discardRatio?: number;
  /** The token layout (default: inferred from the input size). */
  tokens?: TokenOptions;
}

const FUSIONS: readonly HeadFusion[] = ['mean', 'max', 'min'];

/** Validates the rollout options against the plan before anything runs; returns the effective parameters. */
export function rolloutParams(method: MethodDescriptor, plan: RolloutPlan, o: RolloutOptions): { headFusion: HeadFusion; discardRatio: number } {
  if (o.attention !== undefined && !(Array.isArray(o.attention) && o.attention.length > 0 && o.attention.every((n) => typeof n === 'string' && n))) {
    throw new OptionError('attention must be a non-empty array of layer names, one per block, in block order.');
  }
  if (plan.weighting === 'gradient' && (o.headFusion !== undefined || o.discardRatio !== undefined)) {
    throw new OptionError(`headFusion and discardRatio apply to attention rollout without gradients; ${method.name} averages the heads' positive gradient-weighted attention and discards nothing.`);
  }
  const headFusion = o.headFusion ?? plan.headFusion;
  if (!FUSIONS.includes(headFusion)) throw new NameError('head fusion', String(headFusion), FUSIONS);
  const discardRatio = o.discardRatio ?? plan.discardRatio;
  if (typeof discardRatio !== 'number' || !(discardRatio >= 0 && discardRatio < 1)) throw new OptionError(`discardRatio must be a number in [0, 1), got ${String(discardRatio)}.`);
  return { headFusion, discardRatio };
}

/** [heads, T] of an attention tensor shape ([N, heads, T, T], or [N, T, T] for one head), or null. */
function attentionDims(s: readonly number[]): [number, number] | null {
  if (s.length === 4 && s[2] === s[3] && s[2] > 1 && s[1] >= 1) return [s[1], s[2]];
  if (s.length === 3 && s[1] === s[2] && s[1] > 1) return [1, s[1]];
  return null;
}

/** Whether every row of a [.., T] tensor is a probability distribution (values ≥ 0, sum 1). */
async function rowsAreProbabilities(t: tf.Tensor): Promise<boolean> {
  const T = t.shape[t.rank - 1]!;
  const v = await t.data();
  for (let r = 0; r < v.length; r += T) {
    let s = 0;
    for (let j = 0; j < T; j++) {
      const x = v[r + j];
      if (!(x >= -1e-6)) return false;
      s += x;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return true;
}

/** The attention-probability layers of the model for input x, in block order (empty when none). */
export async function findAttention(ad: ModelAdapter, x: tf.Tensor): Promise<string[]> {
  const shapes = ad.layerShapes(x);
  const found: string[] = [];
  for (const [name, s] of shapes) {
    const d = attentionDims(s);
    if (!d) continue;
    const op = ad.layerOp(name);
    if (ad.kind === 'graph') {
      // Converted graphs name their ops: the softmax outputs are the probabilities.
      if (op === 'Softmax') found.push(name);
      continue;
    }
    if (s.length === 3 && op !== 'Softmax') continue;
    const a = ad.activations(x, name);
    try {
      if (await rowsAreProbabilities(a)) found.push(name);
    } finally {
      a.dispose();
    }
  }
  const ordered = ad.order(found);
  // Blocks of one transformer share the token count; keep the most common one.
  const count = new Map<number, number>();
  for (const n of ordered) {
    const t = attentionDims(shapes.get(n)!)![1];
    count.set(t, (count.get(t) ?? 0) + 1);
  }
  const best = [...count].sort((p, q) => q[1] - p[1])[0]?.[0];
  return ordered.filter((n) => attentionDims(shapes.get(n)!)![1] === best);
}

/** Whether the model exposes attention probabilities (what `requires: ['attention']` asks for). */
export async function hasAttention(ad: ModelAdapter, x: tf.Tensor, names?: readonly string[]): Promise<boolean> {
  return (names?.length ?? 0) > 0 || (await findAttention(ad, x)).length > 0;
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  const d = await t.data();
  return d instanceof Float32Array ? Float32Array.from(d) : Float32Array.from(d as ArrayLike<number>);
}

/**
 * The low-resolution rollout maps [n][h][w] of x and the model output (which the caller disposes).
 * `score` is only used by the gradient weighting.
 */
export async function rolloutMaps(
  plan: RolloutPlan, ad: ModelAdapter, x: tf.Tensor, names: readonly string[], score: ScoreFn,
  p: { headFusion: HeadFusion; discardRatio: number; tokens?: TokenOptions; signal?: AbortSignal },
): Promise<{ lowres: Float32Array; h: number; w: number; output: tf.Tensor }> {
  const n = x.shape[0];
  const blocks: Float32Array[] = [];
  const grads: Float32Array[] = [];
  let dims: [number, number] | null = null;
  let output: tf.Tensor | null = null;
  try {
    for (const name of names) {
      if (p.signal?.aborted) throw new AbortError();
      let A: tf.Tensor;
      let G: tf.Tensor | null = null;
      if (plan.weighting === 'gradient') {
        const r = ad.capture(x, name, score);
        A = r.activations;
        G = r.gradients;
        if (output) r.output.dispose();
        else output = r.output;
      } else {
        A = ad.activations(x, name);
      }
      try {
        const d = attentionDims(A.shape);
        if (!d || A.shape[0] !== n) {
          throw new ModelError('E_MODEL', `'${name}' outputs [${A.shape.join(', ')}]; attention probabilities are [N, heads, T, T].`);
        }
        if (dims && (d[0] !== dims[0] || d[1] !== dims[1])) {
          throw new ModelError('E_MODEL', `'${name}' has ${d[0]} heads × ${d[1]} tokens; the first attention layer has ${dims[0]} × ${dims[1]}.`);
        }
        dims = d;
        blocks.push(await read(A));
        if (G) grads.push(await read(G));
      } finally {
        A.dispose();
        G?.dispose();
      }
    }
    output ??= ad.predict(x);
    const [heads, T] = dims!;
    const l = tokenLayout(T, [x.shape[1]!, x.shape[2]!], p.tokens ?? {}, `The attention layer '${names[0]}'`);
    const hw = l.h * l.w;
    const lowres = new Float32Array(n * hw);
    const per = heads * T * T;
    for (let i = 0; i < n; i++) {
      const bi = blocks.map((b) => b.subarray(i * per, (i + 1) * per));
      const r =
        plan.weighting === 'gradient'
          ? gradientRollout(bi, grads.map((g) => g.subarray(i * per, (i + 1) * per)), heads, T)
          : attentionRollout(bi, heads, T, p.headFusion, p.discardRatio, l.prefix);
      lowres.set(rolloutRow(r, T, l.prefix, hw), i * hw);
    }
    const bad = firstNonFinite(lowres);
    if (bad >= 0) throw new InputError('E_NONFINITE', `The attention rollout is not finite (${lowres[bad]} at index ${bad}): the attention probabilities hold NaN or ±Inf.`);
    const out = output;
    output = null;
    return { lowres, h: l.h, w: l.w, output: out };
  } finally {
    output?.dispose();
  }
}

/** Low-resolution maps [n][h][w] → a CamResult with camkit's post-processing (ReLU, normalise, resize). */
export function postMaps(rt: Runtime, method: string, lowres: Float32Array, n: number, h: number, w: number, cam: CamOptions, inputSize: readonly [number, number]): CamResult {
  const post = resolvePost(h, w, cam, inputSize);
  const len = n * post.oh * post.ow;
  if (cam.out !== undefined && (!(cam.out instanceof Float32Array) || cam.out.length !== len)) {
    throw new InputError('E_SHAPE', `out must be a Float32Array of ${n}×${post.oh}×${post.ow} = ${len} values.`);
  }
  const { f: [src, work, out, tmp] } = rt.arena.take([n * h * w, ...postBuffers(n, h, w, post)]);
  src.set(lowres);
  postProcess(rt, src, work, out, tmp, n, h, w, post);
  const map = cam.out ?? new Float32Array(len);
  map.set(out);
  return { method, n, channels: 0, weights: null, lowres, lowresShape: [h, w], map, width: post.ow, height: post.oh, kernels: rt.flavor };
}
