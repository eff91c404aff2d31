// Token models: [N, T, C] layers read as [N, h, w, C] maps exactly as pytorch-grad-cam's
// reshape_transform (leading tokens dropped, row-major patch grid), grid and prefix given or inferred,
// and every gradient, activation and perturbation method of the registry on such a layer of a real
// (tiny) ViT: the golden file's vit_s5, rebuilt by the conformance runner's builder.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain } from '../../src/capture/index.js';
import { mapToTokens, tokenLayout, tokensToMap, withTokens } from '../../src/capture/tokens.js';
import { computeCamSync } from '../../src/compute.js';
import { buildVit, vitHooks, type BuiltVit } from '../../src/conformance/vit.js';
import { OptionError } from '../../src/errors.js';
import { METHODS } from '../../src/methods/registry.js';
import type { CamMethod } from '../../src/methods/types.js';
import { getRuntime, init } from '../../src/runtime/init.js';
import { absErr, rand } from '../helpers/flavors.js';
import { GOLDEN_V2_PATH, goldenImage, loadGolden } from '../helpers/golden.js';
import { BACKENDS, noLeak, useBackend } from '../helpers/tfmodels.js';

const LAYER = vitHooks.norm1(1);

/** pytorch-grad-cam's reshape_transform, written out: token prefix + y·w + x → cell (y, x). */
function reshapeTransform(t: Float32Array, n: number, T: number, c: number, prefix: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((i * h + y) * w + x) * c + k] = t[(i * T + prefix + y * w + x) * c + k];
  return out;
}

describe('token layout', () => {
  beforeAll(() => useBackend('cpu'));
  it('is inferred when one patch grid fits the input, given otherwise', () => {
    expect(tokenLayout(49, [48, 64])).toEqual({ prefix: 1, h: 6, w: 8 });
    expect(tokenLayout(197, [224, 224])).toEqual({ prefix: 1, h: 14, w: 14 });
    expect(tokenLayout(196, [224, 224])).toEqual({ prefix: 0, h: 14, w: 14 });
    expect(tokenLayout(198, [224, 224])).toEqual({ prefix: 2, h: 14, w: 14 });
    expect(tokenLayout(201, [224, 224])).toEqual({ prefix: 5, h: 14, w: 14 });
    expect(tokenLayout(49, [40, 40], { grid: [6, 8] })).toEqual({ prefix: 1, h: 6, w: 8 });
    expect(tokenLayout(49, [40, 40], { grid: [6, 8], prefix: 1 })).toEqual({ prefix: 1, h: 6, w: 8 });
    // 9 tokens of a 6×6 input: 3×3 after 0, or 2×2 after 5.
    expect(() => tokenLayout(9, [6, 6])).toThrow(/several patch grids.*3×3 after 0, 2×2 after 5/);
    expect(tokenLayout(9, [6, 6], { prefix: 5 })).toEqual({ prefix: 5, h: 2, w: 2 });
    // A one-cell grid is never a candidate: 5 tokens of 8×8 are 2×2 after 1, not 1×1 after 4.
    expect(tokenLayout(5, [8, 8])).toEqual({ prefix: 1, h: 2, w: 2 });
  });

  it('says what to pass when nothing fits, or the option contradicts the layer', () => {
    for (const f of [
      () => tokenLayout(49, [40, 40]),
      () => tokenLayout(49, [48, 64], { grid: [7, 7], prefix: 1 }),
      () => tokenLayout(49, [48, 64], { grid: [8, 8] }),
      () => tokenLayout(49, [48, 64], { grid: [0, 8] as unknown as [number, number] }),
      () => tokenLayout(49, [48, 64], { prefix: -1 }),
      () => tokenLayout(49, [48, 64], { prefix: 1.5 }),
    ]) {
      let e: unknown;
      try {
        f();
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).code).toBe('E_OPTION');
    }
    expect(() => tokenLayout(49, [40, 40])).toThrow(/tokens: \{ grid: \[h, w\], prefix: k \}/);
  });

  it('tokensToMap is reshape_transform; mapToTokens writes a map back over the patches and keeps the leading tokens', () => {
    for (const [n, prefix, h, w, c] of [[2, 1, 6, 8, 5], [1, 0, 3, 3, 2], [3, 2, 2, 5, 1]]) {
      const T = prefix + h * w;
      const v = rand(n * T * c, 9 + prefix, -1, 1);
      const t = tf.tensor3d(v, [n, T, c]);
      const m = tf.tidy(() => tokensToMap(t, { prefix, h, w }));
      expect(m.shape).toEqual([n, h, w, c]);
      expect(Array.from(m.dataSync())).toEqual(Array.from(reshapeTransform(v, n, T, c, prefix, h, w)));
      const m2 = tf.mul(m, 2);
      const back = tf.tidy(() => mapToTokens(m2, t, { prefix, h, w }));
      const bv = back.dataSync();
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < T * c; k++) {
          const want = k < prefix * c ? v[i * T * c + k] : 2 * v[i * T * c + k];
          expect(bv[i * T * c + k]).toBeCloseTo(want, 6);
        }
      }
      tf.dispose([t, m, m2, back]);
    }
  });
});

describe.each(BACKENDS)('every method on a ViT token layer, %s', (backend) => {
  let vit: BuiltVit;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await init();
    await useBackend(backend);
    const g = loadGolden(GOLDEN_V2_PATH);
    vit = buildVit(g.models.vit_s5);
    const [a, b] = [goldenImage(g, 'img0'), goldenImage(g, 'img2')];
    x = tf.concat([a, b]) as tf.Tensor4D;
    tf.dispose([a, b]);
    return () => {
      vit.dispose();
      x.dispose();
    };
  });

  it('gradient and activation methods: the map of the reshaped tokens (grid inferred), no leaks', async () => {
    const rt = await getRuntime();
    const raw = createAdapter(vit.fn);
    const cap = raw.capture(x, LAYER, (o) => tf.sum(tf.mul(o, tf.oneHot([0, 3], 5))));
    expect(cap.activations.shape).toEqual([2, 49, 32]);
    const A = reshapeTransform(Float32Array.from(await cap.activations.data()), 2, 49, 32, 1, 6, 8);
    const G = reshapeTransform(Float32Array.from(await cap.gradients.data()), 2, 49, 32, 1, 6, 8);
    tf.dispose([cap.activations, cap.gradients, cap.output]);
    const shape = [2, 6, 8, 32];
    const layerMethods = METHODS.filter((m) => m.explain.via === 'layer' && !m.needs.includes('classifierWeights'));
    expect(layerMethods.length).toBeGreaterThanOrEqual(7);
    for (const m of layerMethods) {
      const r = await noLeak(() => explain(vit.fn, x, { method: m.name, layer: LAYER, target: [0, 3] }));
      expect(r.error, m.name).toBeUndefined();
      expect(r.leaked, m.name).toBe(0);
      expect(r.value!.lowresShape).toEqual([6, 8]);
      const ref = computeCamSync(rt, m as CamMethod, { activations: { data: A, shape }, gradients: { data: G, shape }, inputSize: [48, 64] });
      expect(absErr(r.value!.map, ref.map), m.name).toBeLessThan(1e-5);
    }
    // The fused one (a base CAM times guided backprop) too.
    const fusion = METHODS.find((m) => m.explain.via === 'guided-fusion')!;
    const f = await noLeak(() => explain(vit.fn, x, { method: fusion.name, layer: LAYER, target: [0, 3] }));
    expect(f.error).toBeUndefined();
    expect(f.leaked).toBe(0);
    expect(f.value!.guidedShape).toEqual([2, 48, 64, 3]);
  });

  it('Ablation-CAM writes each ablated channel back over every token (the CLS token too), as AblationLayerVit', async () => {
    const cls = 2;
    const xi = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
    const r = await noLeak(() => explain(vit.fn, xi, { method: 'AblationCAM', layer: LAYER, target: cls }));
    expect(r.error).toBeUndefined();
    expect(r.leaked).toBe(0);
    const scores = (r.value as unknown as { scores: Float32Array }).scores;
    const raw = createAdapter(vit.fn);
    const tok = raw.activations(xi, LAYER);
    const tv = Float32Array.from(await tok.data());
    tok.dispose();
    const v = Math.fround(Math.min(...tv) - 1e7);
    for (const k of [0, 7, 31]) {
      const abl = Float32Array.from(tv);
      for (let t = 0; t < 49; t++) abl[t * 32 + k] = v;
      const a = tf.tensor3d(abl, [1, 49, 32]);
      const out = raw.forwardFrom(xi, LAYER, a);
      const want = (await out.data())[cls];
      tf.dispose([a, out]);
      expect(Math.abs(scores[k] - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
    }
    xi.dispose();
  });

  it('every perturbation method runs on the token layer: sane maps, no leaks', async () => {
    const xi = tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]);
    for (const m of METHODS.filter((d) => ['masks', 'ablation', 'noisy-gradients'].includes(d.explain.via))) {
      const r = await noLeak(() => explain(vit.fn, xi, { method: m.name, layer: LAYER, target: 2, numSamples: 2, maxN: 4 }));
      expect(r.error, m.name).toBeUndefined();
      expect(r.leaked, m.name).toBe(0);
      expect(r.value!.lowresShape, m.name).toEqual([6, 8]);
      expect(r.value!.map.every((q) => q >= 0 && q <= 1), m.name).toBe(true);
    }
    xi.dispose();
  });

  it('a token count that fits no grid of the input is an OptionError until `tokens` says the layout; no leaks', async () => {
    // The model resizes its input itself: 49 tokens for a 40×40 input.
    const resized = (v: tf.Tensor, hook?: (n: string, t: tf.Tensor) => tf.Tensor) => vit.fn(tf.image.resizeBilinear(v as tf.Tensor4D, [48, 64]), hook);
    const small = tf.image.resizeBilinear(x, [40, 40]);
    const bad = await noLeak(() => explain(resized, small, { layer: LAYER, target: 1 }));
    expect(bad.error).toBeInstanceOf(OptionError);
    expect(String((bad.error as Error).message)).toMatch(/49 tokens.*40×40/);
    expect(bad.leaked).toBe(0);
    const ok = await noLeak(() => explain(resized, small, { layer: LAYER, target: 1, tokens: { grid: [6, 8], prefix: 1 } }));
    expect(ok.error).toBeUndefined();
    expect(ok.leaked).toBe(0);
    expect(ok.value!.lowresShape).toEqual([6, 8]);
    expect([ok.value!.height, ok.value!.width]).toEqual([40, 40]);
    // Perturbation on the same layer fails the same way, also without leaking.
    const pb = await noLeak(() => explain(resized, small, { method: 'AblationCAM', layer: LAYER, target: 1 }));
    expect(pb.error).toBeInstanceOf(OptionError);
    expect(pb.leaked).toBe(0);
    const badOpt = await noLeak(() => explain(vit.fn, x, { layer: LAYER, tokens: { grid: [8, 8] } }));
    expect(badOpt.error).toBeInstanceOf(OptionError);
    expect(badOpt.leaked).toBe(0);
    small.dispose();
    // The automatic layer of a token model: the last token layer before the last attention (not the
    // attention probabilities, the last 4-D tensor of the model).
    expect(createAdapter(vit.fn).defaultLayer(x)).toBe(vitHooks.attention(1));
    expect(withTokens(createAdapter(vit.fn)).defaultLayer(x)).toBe(LAYER);
    const auto = await noLeak(() => explain(vit.fn, x, { target: 1 }));
    expect(auto.error).toBeUndefined();
    expect(auto.leaked).toBe(0);
    expect(auto.value!.layer).toBe(LAYER);
    // The token view leaves 4-D layers alone.
    const view = withTokens(createAdapter(vit.fn));
    const p = view.activations(x, 'patch_embed');
    expect(p.shape).toEqual([2, 6, 8, 32]);
    p.dispose();
  });
});
