// End-to-end conformance of the vision-transformer cases (architecture "vit", schema gradcam-golden/2).
// The file stores no TF.js topology for them: the model is rebuilt here as a plain function from
// the stored weights, following the forward pass the golden README documents (patch conv 8×8/8,
// CLS token + position embedding, pre-norm blocks with LayerNorm eps 1e-6, 2-head attention from a
// [q | k | v] projection scaled by head_dim^-0.5, exact-erf GELU MLP, final LayerNorm, CLS → head).
// It exposes hooks at every block's `norm1` (the CAM layers, [N, T, C]) and attention probabilities
// (`attn.attn_drop`, [N, heads, T, T], timm's module names), and is then checked through explain():
// logits, token activations and gradients, the [N, h, w, C] view pytorch-grad-cam's reshape_transform
// gives, each block's attention probabilities, and every stored method's map.
import * as tf from '@tensorflow/tfjs';
import type { Runtime } from '../runtime/init.js';
import { findMethod, isCamMethod } from '../methods/registry.js';
import type { MethodDescriptor } from '../methods/types.js';
import { createAdapter, type Hook } from '../capture/adapter.js';
import { withTokens } from '../capture/tokens.js';
import { explain } from '../capture/explain.js';
import { caseSubject, f32, inputSize, type GoldenArray, type GoldenCase, type GoldenFile, type GoldenModel } from './golden.js';
import type { CheckLine } from './runner.js';
import { absErr, relErr } from '../core/compare.js';

/** Tolerances: the golden README's end-to-end ones (maps 1e-4 abs; logits 1e-4 abs; arrays 1e-5 rel). */
export const VIT_TOLERANCES = {
  logits: 1e-4,
  token_activations: 1e-5,
  token_gradients: 1e-5,
  activations: 1e-5,
  gradients: 1e-5,
  attention_probs: 1e-5,
  scores: 1e-5,
  grayscale_cam: 1e-4,
} as const;

/** Hook names of the rebuilt ViT. */
export const vitHooks = {
  norm1: (b: number) => `blocks.${b}.norm1`,
  attention: (b: number) => `blocks.${b}.attn.attn_drop`,
};

interface VitDims {
  patch: number;
  dim: number;
  heads: number;
  head_dim: number;
  depth: number;
  tokens: number;
  grid: [number, number];
  ln_eps: number;
}

export interface BuiltVit {
  fn: (x: tf.Tensor, hook?: Hook) => tf.Tensor;
  dims: VitDims;
  /** Frees the weight tensors. */
  dispose(): void;
}

/** Builds the documented ViT as a function `(x, hook?) => logits` from a golden model entry (weights on the current backend). */
export function buildVit(model: GoldenModel): BuiltVit {
  const fwd = model.forward as { dims?: Partial<VitDims> } | undefined;
  const d = fwd?.dims;
  if (!d || !Array.isArray(model.weights)) throw new Error('the model has no forward.dims or weights');
  const dims = d as VitDims;
  const ws = new Map<string, tf.Tensor>();
  for (const w of model.weights) ws.set(w.name, tf.tensor(w.values, w.shape, 'float32'));
  const W = (name: string): tf.Tensor => {
    const t = ws.get(name);
    if (!t) throw new Error(`weight '${name}' is missing`);
    return t;
  };
  const eps = dims.ln_eps;
  const layerNorm = (x: tf.Tensor, p: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), W(`${p}.weight`)), W(`${p}.bias`));
  };
  const linear = (x: tf.Tensor, p: string) => {
    const [n, t, c] = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [n * t, c]), W(`${p}.weight`) as tf.Tensor2D), W(`${p}.bias`));
    return tf.reshape(y, [n, t, -1]);
  };
  const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  const { heads, head_dim: hd, dim } = dims;
  const fn = (x: tf.Tensor, hook: Hook = (_n, t) => t): tf.Tensor => {
    const n = x.shape[0];
    let p = tf.add(tf.conv2d(x as tf.Tensor4D, W('patch_embed.proj.weight') as tf.Tensor4D, dims.patch, 'valid'), W('patch_embed.proj.bias'));
    p = hook('patch_embed', p);
    const [gh, gw] = [p.shape[1]!, p.shape[2]!];
    const cls = tf.tile(W('cls_token'), [n, 1, 1]);
    let h: tf.Tensor = tf.add(tf.concat([cls, tf.reshape(p, [n, gh * gw, dim])], 1), W('pos_embed'));
    const T = h.shape[1]!;
    for (let b = 0; b < dims.depth; b++) {
      const a = hook(vitHooks.norm1(b), layerNorm(h, `blocks.${b}.norm1`));
      const qkv = linear(a, `blocks.${b}.attn.qkv`);
      const part = (k: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, k * dim], [-1, -1, dim]), [n, T, heads, hd]), [0, 2, 1, 3]);
      const [q, kk, v] = [part(0), part(1), part(2)];
      const probs = hook(vitHooks.attention(b), tf.softmax(tf.mul(tf.matMul(q, kk, false, true), hd ** -0.5)));
      const o = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [n, T, dim]);
      h = tf.add(h, linear(o, `blocks.${b}.attn.proj`));
      const m = linear(gelu(linear(layerNorm(h, `blocks.${b}.norm2`), `blocks.${b}.mlp.fc1`)), `blocks.${b}.mlp.fc2`);
      h = tf.add(h, m);
    }
    const z = hook('norm', layerNorm(h, 'norm'));
    const c0 = tf.reshape(tf.slice(z, [0, 0, 0], [-1, 1, -1]), [n, dim]);
    return tf.add(tf.matMul(c0, W('head.weight') as tf.Tensor2D), W('head.bias'));
  };
  return { fn, dims, dispose: () => tf.dispose([...ws.values()]) };
}

// Built models per file, model name and backend (weights live on one backend).
const built = new WeakMap<object, Map<string, BuiltVit>>();

/** The file's ViT rebuilt on `backend` (cached per file, name and backend). */
export function loadVit(file: Pick<GoldenFile, 'models'>, name: string, backend: string): BuiltVit {
  let perFile = built.get(file);
  if (!perFile) built.set(file, (perFile = new Map()));
  const key = `${name}|${backend}`;
  let m = perFile.get(key);
  if (!m) {
    const entry = file.models?.[name];
    if (!entry) throw new Error(`model '${name}' is not in the file`);
    m = buildVit(entry);
    perFile.set(key, m);
  }
  return m;
}

/** The attention probabilities stored for a case, per block (following attention_probs_in_case). */
function storedAttention(file: GoldenFile, c: GoldenCase): (GoldenArray | null)[] | null {
  let k: GoldenCase | undefined = c;
  const seen = new Set<string>();
  while (k && !Array.isArray(k.attention_probs) && typeof (k as { attention_probs_in_case?: unknown }).attention_probs_in_case === 'string' && !seen.has(k.id)) {
    seen.add(k.id);
    const id: string | undefined = (k as { attention_probs_in_case?: string }).attention_probs_in_case;
    k = file.cases.find((x) => x.id === id);
  }
  return k && Array.isArray(k.attention_probs) ? k.attention_probs : null;
}

/** Every end-to-end check of one ViT case, in a fixed order (same lines as the other cases). */
export async function* vitChecks(file: GoldenFile, c: GoldenCase, opts: { backend: string; methods?: readonly MethodDescriptor[]; runtime: Runtime }): AsyncGenerator<CheckLine> {
  const check = (method: string, quantity: string, err: number, tol: number): CheckLine => ({ status: err <= tol ? 'PASS' : 'FAIL', caseId: c.id, method, quantity, err, tol });
  const skip = (method: string, quantity: string, reason: string): CheckLine => ({ status: 'SKIP', caseId: c.id, method, quantity, reason });
  const fail = (method: string, quantity: string, tol: number, e: unknown): CheckLine => ({ ...check(method, quantity, Infinity, tol), reason: String((e as Error)?.message ?? e) });
  const subject = caseSubject(file, c);
  if (!subject) {
    yield skip('-', '*', 'the case names no stored image, target layer or target class');
    return;
  }
  const { image, layer, cls } = subject;
  let vit: BuiltVit;
  try {
    vit = loadVit(file, String(c.model ?? ''), opts.backend);
  } catch (e) {
    yield fail('-', 'logits', VIT_TOLERANCES.logits, e);
    return;
  }
  const wanted = (m: MethodDescriptor) => !opts.methods || opts.methods.includes(m);
  const x = tf.tensor4d(image.values, image.shape as [number, number, number, number]);
  const rt = c.reshape_transform;
  const tokens = rt && typeof rt.height === 'number' && typeof rt.width === 'number' ? { grid: [rt.height, rt.width] as [number, number], prefix: rt.drop_tokens?.length ?? 1 } : undefined;
  const raw = createAdapter(vit.fn);
  const view = withTokens(raw, tokens);
  const score = (out: tf.Tensor): tf.Scalar => tf.sum(tf.mul(out, tf.oneHot(tf.fill([out.shape[0]!], cls, 'int32'), out.shape[1]!)));
  try {
    const logits = tf.tidy(() => raw.predict(x));
    const lv = await logits.data();
    logits.dispose();
    if (Array.isArray(c.logits)) yield check('-', 'logits', absErr(lv, c.logits), VIT_TOLERANCES.logits);

    // The hooked tokens, then the map view the methods see.
    for (const [how, ad] of [['token_', raw], ['', view]] as const) {
      const refA = how ? c.token_activations : c.activations;
      const refG = how ? c.token_gradients : c.gradients;
      try {
        const r = ad.capture(x, layer, score);
        const [A, G] = [Float32Array.from(await r.activations.data()), Float32Array.from(await r.gradients.data())];
        tf.dispose([r.activations, r.gradients, r.output]);
        if (refA) yield check('-', `${how}activations`, relErr(A, f32(refA)!), VIT_TOLERANCES.activations);
        if (refG) yield check('-', `${how}gradients`, relErr(G, f32(refG)!), VIT_TOLERANCES.gradients);
      } catch (e) {
        yield fail('-', `${how}activations`, VIT_TOLERANCES.activations, e);
      }
    }

    const probs = storedAttention(file, c);
    if (probs) {
      for (const p of probs) {
        if (!p || !Array.isArray((p as { values?: unknown }).values)) continue;
        const b = (p as { block?: number }).block ?? probs.indexOf(p);
        const name = vitHooks.attention(b);
        try {
          const a = raw.activations(x, name);
          const v = Float32Array.from(await a.data());
          a.dispose();
          yield check('-', `attention_probs[${b}]`, relErr(v, f32(p)!), VIT_TOLERANCES.attention_probs);
        } catch (e) {
          yield fail('-', `attention_probs[${b}]`, VIT_TOLERANCES.attention_probs, e);
        }
      }
    }

    const size = inputSize(file, c);
    for (const [key, ref] of Object.entries(c.methods)) {
      if (!ref || !ref.grayscale_cam) continue;
      const m = findMethod(key);
      if (!m) {
        yield skip(key, 'grayscale_cam', `${key} is not registered yet`);
        continue;
      }
      if (!wanted(m)) continue;
      const extra = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as Record<string, unknown>;
      try {
        const r = await explain(vit.fn, x, {
          method: m.name,
          layer,
          target: cls,
          tokens,
          size,
          runtime: opts.runtime,
          batchSize: typeof extra.batch_size === 'number' ? extra.batch_size : undefined,
        });
        const scores = (r as { scores?: Float32Array }).scores;
        if (scores && Array.isArray(extra.scores)) yield check(m.name, 'scores', relErr(scores, extra.scores as number[]), VIT_TOLERANCES.scores);
        let target: Float32Array | null = f32(ref.grayscale_cam);
        if (m.signArbitrary && isCamMethod(m) && ref.cam_lowres) {
          // The principal component's sign is arbitrary: compare with the reference of the same sign.
          const low = f32(ref.cam_lowres)!;
          let dot = 0;
          for (let i = 0; i < low.length; i++) dot += low[i] * r.lowres[i];
          if (dot < 0) target = Array.isArray(extra.grayscale_cam_if_sign_flipped) ? f32(extra.grayscale_cam_if_sign_flipped as number[]) : null;
        }
        if (target) yield check(m.name, 'grayscale_cam', absErr(r.map, target), VIT_TOLERANCES.grayscale_cam);
        else yield skip(m.name, 'grayscale_cam', 'opposite sign and no extra.grayscale_cam_if_sign_flipped');
      } catch (e) {
        yield fail(m.name, 'grayscale_cam', VIT_TOLERANCES.grayscale_cam, e);
      }
    }
  } finally {
    x.dispose();
  }
}
