// Attention rollout and gradient-weighted rollout against an independent formulation written here
// with tfjs ops: heads fused by tf.mean/max/min, the discarded entries found by tf.topk, attention
// gradients taken by tf.grads through zero tensors added at the hooks (not by camkit's substitution).
// Models: the golden ViT (function, attention found by its rows) and a hand-written two-block
// GraphModel (attention = its Softmax nodes) with a function twin.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { explain, type ExplainOptions } from '../../src/capture/index.js';
import { buildVit, vitHooks, type BuiltVit } from '../../src/conformance/vit.js';
import { InputError, ModelError, NameError, OptionError } from '../../src/errors.js';
import { methodDescriptor, unsupportedReason } from '../../src/methods/registry.js';
import type { HeadFusion } from '../../src/methods/types.js';
import { init } from '../../src/runtime/init.js';
import { relErr } from '../helpers/flavors.js';
import { GOLDEN_V2_PATH, goldenImage, loadGolden } from '../helpers/golden.js';
import { attentionFunction, attentionGraph } from '../helpers/attention.js';
import { BACKENDS, noLeak, randomInput, sequentialModel, useBackend } from '../helpers/tfmodels.js';

type Fn = (x: tf.Tensor, hook?: (n: string, t: tf.Tensor) => tf.Tensor) => tf.Tensor;
const ROLLOUT = methodDescriptor('AttentionRollout');
const GRAD = methodDescriptor('GradientWeightedRollout');

/** Rollout written with tf ops (float32), one image: map = R[0, prefix:]. */
function referenceRollout(atts: tf.Tensor[], fusion: HeadFusion, ratio: number, prefix: number): Float32Array {
  return tf.tidy(() => {
    const T = atts[0].shape[3]!;
    let R: tf.Tensor2D = tf.eye(T);
    for (const a of atts) {
      const heads = tf.squeeze(a, [0]) as tf.Tensor3D;
      let f = (fusion === 'mean' ? tf.mean(heads, 0) : fusion === 'max' ? tf.max(heads, 0) : tf.min(heads, 0)) as tf.Tensor2D;
      const k = Math.floor(T * T * ratio);
      if (k > 0) {
        const flat = tf.reshape(f, [T * T]);
        const idx = Array.from(tf.topk(tf.neg(flat), k).indices.dataSync()).filter((i) => i % T >= prefix);
        const keep = new Float32Array(T * T).fill(1);
        for (const i of idx) keep[i] = 0;
        f = tf.reshape(tf.mul(flat, tf.tensor1d(keep)), [T, T]);
      }
      const a2 = tf.div(tf.add(f, tf.eye(T)), 2);
      R = tf.matMul(tf.div(a2, tf.sum(a2, 1, true)) as tf.Tensor2D, R);
    }
    return Float32Array.from(tf.slice(R, [0, prefix], [1, -1]).dataSync());
  });
}

/** Gradient-weighted rollout with tf ops; ∂score/∂A through zero tensors added at the hooks. */
function referenceGradRollout(fn: Fn, x: tf.Tensor, names: string[], cls: number, prefix: number): Float32Array {
  return tf.tidy(() => {
    const atts: Record<string, tf.Tensor> = {};
    fn(x, (n, t) => {
      if (names.includes(n)) atts[n] = t;
      return t;
    });
    const zeros = names.map((n) => tf.zerosLike(atts[n]));
    const grads = tf.grads((...zs: tf.Tensor[]) => {
      const out = fn(x, (n, t) => (names.includes(n) ? tf.add(t, zs[names.indexOf(n)]) : t));
      return tf.sum(tf.slice(out, [0, cls], [-1, 1]));
    })(zeros);
    const T = atts[names[0]].shape[3]!;
    let R: tf.Tensor2D = tf.eye(T);
    names.forEach((n, b) => {
      const abar = tf.mean(tf.relu(tf.mul(tf.squeeze(grads[b], [0]), tf.squeeze(atts[n], [0]))), 0) as tf.Tensor2D;
      R = tf.add(R, tf.matMul(abar, R));
    });
    return Float32Array.from(tf.slice(R, [0, prefix], [1, -1]).dataSync());
  });
}

function attentionOf(fn: Fn, x: tf.Tensor, names: string[]): tf.Tensor[] {
  const got: tf.Tensor[] = [];
  tf.tidy(() => {
    fn(x, (n, t) => {
      if (names.includes(n)) got.push(tf.keep(t.clone()));
      return t;
    });
  });
  return got;
}

describe.each(BACKENDS)('attention rollout on %s', (backend) => {
  let vit: BuiltVit;
  let x: tf.Tensor4D;
  const names = [vitHooks.attention(0), vitHooks.attention(1)];
  beforeAll(async () => {
    await init();
    await useBackend(backend);
    const g = loadGolden(GOLDEN_V2_PATH);
    vit = buildVit(g.models.vit_s5);
    x = goldenImage(g, 'img1');
    return () => {
      vit.dispose();
      x.dispose();
    };
  });

  it('finds the ViT\'s attention hooks by their rows and equals the tf-ops rollout for every head fusion and discard ratio', async () => {
    const atts = attentionOf(vit.fn, x, names);
    for (const [headFusion, discardRatio] of [['mean', 0], ['max', 0], ['min', 0], ['mean', 0.9], ['max', 0.5]] as const) {
      const r = await noLeak(() => explain(vit.fn, x, { method: ROLLOUT.name, headFusion, discardRatio }));
      expect(r.error).toBeUndefined();
      expect(r.leaked).toBe(0);
      expect(r.value!.layers).toEqual(names);
      expect(r.value!.lowresShape).toEqual([6, 8]);
      expect([r.value!.height, r.value!.width]).toEqual([48, 64]);
      expect(Math.max(...r.value!.map)).toBeCloseTo(1, 5);
      const ref = referenceRollout(atts, headFusion, discardRatio, 1);
      expect(relErr(r.value!.lowres, ref), `${headFusion} ${discardRatio}`).toBeLessThan(1e-5);
    }
    // The fusions differ, so each is tested.
    const [a, b] = await Promise.all(['mean', 'max'].map((h) => explain(vit.fn, x, { method: ROLLOUT.name, headFusion: h as HeadFusion })));
    expect(relErr(a.lowres, b.lowres)).toBeGreaterThan(1e-3);
    tf.dispose(atts);
  });

  it('gradient-weighted rollout equals R += mean_h((∇A ⊙ A)⁺)·R with gradients through zero probes, per class', async () => {
    for (const cls of [0, 3]) {
      const r = await noLeak(() => explain(vit.fn, x, { method: GRAD.name, target: cls }));
      expect(r.error).toBeUndefined();
      expect(r.leaked).toBe(0);
      expect(r.value!.classIndex[0]).toBe(cls);
      expect(relErr(r.value!.lowres, referenceGradRollout(vit.fn, x, names, cls, 1))).toBeLessThan(1e-4);
    }
    const [c0, c3] = await Promise.all([0, 3].map((c) => explain(vit.fn, x, { method: GRAD.name, target: c })));
    expect(relErr(c0.lowres, c3.lowres)).toBeGreaterThan(1e-2);
  });

  it('a batch gives each image its own rollout; batchSize does not change it', async () => {
    const g = loadGolden(GOLDEN_V2_PATH);
    const x2 = goldenImage(g, 'img3');
    const xs = tf.concat([x, x2]);
    for (const m of [ROLLOUT, GRAD]) {
      const both = await explain(vit.fn, xs, { method: m.name, target: [1, 2] });
      const one = await explain(vit.fn, xs, { method: m.name, target: [1, 2], batchSize: 1 });
      expect(relErr(both.lowres, one.lowres)).toBeLessThan(1e-6);
      const b = await explain(vit.fn, x2, { method: m.name, target: 2 });
      expect(relErr(both.lowres.subarray(48), b.lowres)).toBeLessThan(1e-5);
    }
    tf.dispose([x2, xs]);
  });

  it('GraphModel: the Softmax nodes are the attention, in block order; both rollouts equal the function twin\'s and the reference', async () => {
    const G = await attentionGraph();
    const twin = attentionFunction();
    const xi = randomInput(1, 41, [8, 8, 3]);
    for (const m of [ROLLOUT, GRAD]) {
      const a = await noLeak(() => explain(G, xi, { method: m.name, target: 1 }));
      expect(a.error).toBeUndefined();
      expect(a.leaked).toBe(0);
      expect(a.value!.layers).toEqual(['b0/attn', 'b1/attn']);
      const b = await explain(twin.fn, xi, { method: m.name, target: 1, attention: ['b0/attn', 'b1/attn'] });
      expect(relErr(a.value!.lowres, b.lowres)).toBeLessThan(1e-5);
      const ref = m === GRAD ? referenceGradRollout(twin.fn, xi, ['b0/attn', 'b1/attn'], 1, 1) : referenceRollout(attentionOf(twin.fn, xi, ['b0/attn', 'b1/attn']), 'mean', 0, 1);
      expect(relErr(a.value!.lowres, ref)).toBeLessThan(1e-4);
    }
    // A token node of the graph is a CAM layer like any other, and the automatic one (the last token
    // node before the last attention).
    const t = await noLeak(() => explain(G, xi, { target: 1 }));
    expect(t.error).toBeUndefined();
    expect(t.leaked).toBe(0);
    expect(t.value!.layer).toBe('b1/tokens');
    expect(t.value!.lowresShape).toEqual([2, 2]);
    twin.dispose();
    xi.dispose();
  });

  it('typed errors before work, and no leaks: bad options, a CNN without attention, wrong names', async () => {
    const bad: [ExplainOptions, new (...a: never[]) => Error, RegExp?][] = [
      [{ method: ROLLOUT.name, headFusion: 'median' as HeadFusion }, NameError],
      [{ method: ROLLOUT.name, discardRatio: 1 }, OptionError],
      [{ method: ROLLOUT.name, discardRatio: -0.1 }, OptionError],
      [{ method: GRAD.name, headFusion: 'max' }, OptionError, new RegExp(GRAD.name)],
      [{ method: ROLLOUT.name, layer: vitHooks.norm1(1) }, OptionError, /attention/],
      [{ method: ROLLOUT.name, attention: [] }, OptionError],
      [{ method: ROLLOUT.name, attention: ['blocks.0.attn'] }, NameError],
      [{ method: ROLLOUT.name, attention: [vitHooks.norm1(0)] }, ModelError, /\[N, heads, T, T\]/],
      [{ method: ROLLOUT.name, augSmooth: true }, OptionError],
      [{ method: GRAD.name, target: 7 }, ModelError],
    ];
    for (const [o, cls, re] of bad) {
      const r = await noLeak(() => explain(vit.fn, x, o));
      expect(r.error, JSON.stringify(o)).toBeInstanceOf(cls);
      if (re) expect(String((r.error as Error).message)).toMatch(re);
      expect(r.leaked, JSON.stringify(o)).toBe(0);
    }
    const cnn = sequentialModel();
    const xc = randomInput(1);
    const r = await noLeak(() => explain(cnn, xc, { method: ROLLOUT.name }));
    expect(r.error).toBeInstanceOf(ModelError);
    expect(String((r.error as Error).message)).toMatch(/attention/);
    expect(r.leaked).toBe(0);
    xc.dispose();
    // NaN attention is a typed error, not a NaN map.
    const nan: Fn = (v, hook) => vit.fn(v, (n, t) => (n === names[1] ? hook?.(n, tf.mul(t, NaN)) ?? t : (hook?.(n, t) ?? t)));
    const e = await noLeak(() => explain(nan, x, { method: ROLLOUT.name, attention: names }));
    expect(e.error).toBeInstanceOf(InputError);
    expect((e.error as InputError).code).toBe('E_NONFINITE');
    expect(e.leaked).toBe(0);
  });
});

describe('registry requirements', () => {
  it('both rollouts need attention probabilities; with them they are supported', () => {
    for (const m of [ROLLOUT, GRAD]) {
      expect(m.requires).toEqual(['attention']);
      expect(unsupportedReason(m)).toMatch(/attention probabilities/);
      expect(unsupportedReason(m, { attention: true })).toBeNull();
    }
  });
});
