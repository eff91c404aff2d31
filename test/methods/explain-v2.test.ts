// ShapleyCAM, FinerCAM, RefineCAM and FullGrad through explain() on the golden v2 models (cpu and
// wasm), against the stored maps and intermediates: the first-order hvp against the stored hvp
// (Softmax and ReST targets), Finer-CAM's gradients, RefineCAM's layers, FullGrad's maps. Plus the
// refusals (targets without a known Hessian, activations FullGrad cannot invert, functions) and leaks.
// FullGrad on GraphModels: test/capture/fullgrad-graph.test.ts.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { explain } from '../../src/capture/explain.js';
import { createAdapter } from '../../src/capture/adapter.js';
import { firstOrderHvp, targetHessian } from '../../src/capture/shapley.js';
import { biasLayers } from '../../src/capture/fullgrad.js';
import { classTarget, finerTarget, restTarget, softmaxTarget, similarityTarget } from '../../src/capture/target-library.js';
import { computeCamSync } from '../../src/compute.js';
import { refineMaps } from '../../src/methods/refinecam.js';
import { createRuntime } from '../../src/runtime/init.js';
import { absErr, relErr } from '../helpers/flavors.js';
import { BACKENDS, useBackend } from '../helpers/tfmodels.js';
import { GOLDEN_V2_PATH, goldenImage, goldenModel, loadGolden } from '../helpers/golden.js';
import tol from '../tolerances.json';

const g = loadGolden(GOLDEN_V2_PATH);
const cnn = g.cases.filter((c) => c.methods.FullGrad);
const withTargets = g.cases.filter((c) => c.targets);
type Arr = { values: number[]; shape: number[] };

for (const backend of BACKENDS) {
  describe(`v2 explain methods on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('ShapleyCAM: first-order hvp = stored hvp (1e-3 rel) and maps under Softmax and ReST; zero Hessian for class logits', async () => {
      const rt = await createRuntime('simd');
      for (const c of withTargets) {
        const model = await goldenModel(g, c.model);
        const ad = createAdapter(model);
        const x = goldenImage(g, c.image);
        const before = tf.memory().numTensors;
        const A = Float32Array.from(c.activations.values);
        expect(targetHessian(classTarget(c.target_class), false, c.logits, 1, 5, [[c.target_class]])).toBeNull();
        for (const [key, make] of [['ClassifierOutputSoftmaxTarget', softmaxTarget], ['ClassifierOutputReST', restTarget]] as const) {
          const ref = c.targets![key].methods!.ShapleyCAM;
          const e = ref.extra as { hvp: Arr; target_logit_hessian_float64: number[] };
          const H = targetHessian(make(c.target_class), false, c.logits, 1, 5, [[c.target_class]])!;
          // The analytic Hessian in the logits equals the reference's float64 one.
          expect(relErr(H, e.target_logit_hessian_float64), `${c.id} ${key} H_z`).toBeLessThan(1e-6);
          const hvp = await firstOrderHvp(ad, x, c.target_layer, A, H, 5);
          expect(relErr(hvp, e.hvp.values), `${c.id} ${key} hvp`).toBeLessThan(1e-3);
          const r = await explain(model, x, { method: 'shapleycam', layer: c.target_layer, target: make(c.target_class), runtime: rt });
          expect(absErr(r.map, ref.grayscale_cam!.values), `${c.id} ${key} map`).toBeLessThan(tol.e2e_map_abs);
        }
        // Class target: hvp is zero (pgc: None), ShapleyCAM = Grad-CAM.
        const s = await explain(model, x, { method: 'ShapleyCAM', layer: c.target_layer, target: c.target_class, runtime: rt });
        expect(absErr(s.map, c.methods.ShapleyCAM.grayscale_cam.values)).toBeLessThan(tol.e2e_map_abs);
        expect(tf.memory().numTensors, c.id).toBe(before);
        x.dispose();
      }
    });

    it('ShapleyCAM (secondOrder first-order): a target without a known Hessian is refused (E_TARGET), nothing leaks', async () => {
      const c = withTargets[0];
      const model = await goldenModel(g, c.model);
      const x = goldenImage(g, c.image);
      const before = tf.memory().numTensors;
      await expect(explain(model, x, { method: 'ShapleyCAM', layer: c.target_layer, target: similarityTarget([1, 0, 0, 0, 0]), secondOrder: 'first-order' })).rejects.toMatchObject({ code: 'E_TARGET' });
      await expect(explain(model, x, { method: 'ShapleyCAM', layer: c.target_layer, target: restTarget(0), scoreOn: 'probabilities', secondOrder: 'first-order' })).rejects.toMatchObject({ code: 'E_TARGET' });
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('FinerCAM: explain equals the stored map; computeCam on the stored Finer gradients equals the stored weights', async () => {
      const rt = await createRuntime('js');
      for (const c of cnn.slice(0, 6)) {
        const ref = c.methods.FinerCAM;
        const e = ref.extra as { alpha: number; comparison_positions: number[]; gradients: Arr };
        const model = await goldenModel(g, c.model);
        const x = goldenImage(g, c.image);
        const r = await explain(model, x, { method: 'Finer-CAM', layer: c.target_layer, target: c.target_class, finer: { alpha: e.alpha, comparisons: e.comparison_positions }, runtime: rt });
        x.dispose();
        expect(absErr(r.map, ref.grayscale_cam.values), c.id).toBeLessThan(tol.e2e_map_abs);
        const shape = c.activations.shape;
        const k = computeCamSync(rt, 'FinerCAM', { activations: { data: Float32Array.from(c.activations.values), shape }, gradients: { data: Float32Array.from(e.gradients.values), shape } });
        expect(relErr(k.weights!, ref.weights!), c.id).toBeLessThan(tol.golden_weights_rel);
      }
      // The same map as Grad-CAM with finerTarget given by hand.
      const c = cnn[0];
      const model = await goldenModel(g, c.model);
      const x = goldenImage(g, c.image);
      const a = await explain(model, x, { method: 'FinerCAM', layer: c.target_layer, target: 'top1', runtime: rt });
      const b = await explain(model, x, { method: 'GradCAM', layer: c.target_layer, target: finerTarget('top1'), runtime: rt });
      await expect(explain(model, x, { method: 'FinerCAM', target: classTarget(0) })).rejects.toMatchObject({ code: 'E_OPTION' });
      x.dispose();
      expect(absErr(a.map, b.map)).toBe(0);
    });

    it('RefineCAM: explain over the reference layers equals the stored map; refineMaps = normalised product', async () => {
      const rt = await createRuntime('scalar');
      for (const c of cnn.slice(0, 20).filter((_, i) => i % 3 === 0)) {
        const ref = c.methods.RefineCAM;
        const layers = (ref.extra as { target_layers: string[] }).target_layers;
        const model = await goldenModel(g, c.model);
        const x = goldenImage(g, c.image);
        const r = await explain(model, x, { method: 'RefineCAM', layers, target: c.target_class, runtime: rt });
        x.dispose();
        expect(absErr(r.map, ref.grayscale_cam.values), c.id).toBeLessThan(tol.e2e_map_abs);
        expect(r.perLayer?.length).toBe(layers.length);
      }
      // Products [0.5, 0.5 | 0, 0.2]: a constant image becomes 0, the other (P − min)/(max + 1e-7).
      const m = refineMaps([Float32Array.of(1, 0.5, 0.2, 0.4), Float32Array.of(0.5, 1, 0, 0.5)], 2);
      const p = Math.fround(0.2);
      expect(Array.from(m)).toEqual([0, 0, 0, Math.fround(p / Math.fround(1e-7 + p))]);
    });

    it('FullGrad: every CNN case, map within 1e-4 of the reference; layers = every biased conv', async () => {
      const rt = await createRuntime('simd');
      for (const c of cnn) {
        const ref = c.methods.FullGrad;
        const model = await goldenModel(g, c.model);
        const x = goldenImage(g, c.image);
        const before = tf.memory().numTensors;
        const r = await explain(model, x, { method: 'fullgrad', target: c.target_class, runtime: rt });
        expect(tf.memory().numTensors, c.id).toBe(before);
        x.dispose();
        expect(absErr(r.map, ref.grayscale_cam.values), c.id).toBeLessThan(tol.e2e_map_abs);
        const bl = (ref.extra as { bias_layers?: string[] } | undefined)?.bias_layers;
        if (Array.isArray(bl)) expect(r.layers).toEqual(bl);
      }
    });
  });
}

describe('FullGrad bias layers', () => {
  beforeAll(() => useBackend('cpu'));

  it('BatchNorm bias = β − μγ/√(σ² + ε) (inference); unsupported fused activations are refused; functions (no biases to read) refused', async () => {
    const bn = tf.layers.batchNormalization({ epsilon: 0.01 });
    const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 8, 3], filters: 2, kernelSize: 3, padding: 'same', activation: 'selu' }), bn, tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 3 })] });
    bn.setWeights([tf.tensor1d([2, 0.5]), tf.tensor1d([0.1, -0.2]), tf.tensor1d([1, 3]), tf.tensor1d([3.99, 0.24])]);
    const bl = await biasLayers(m);
    expect(bl.map((l) => l.name)).toEqual([m.layers[0].name, bn.name]);
    expect(Array.from(bl[1].bias)).toEqual([Math.fround(0.1 - 2 / 2), Math.fround(-0.2 - (3 * 0.5) / 0.5)]);
    const x = tf.zeros([1, 6, 8, 3]).add(0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    await expect(explain(m, x, { method: 'FullGrad', target: 0 })).rejects.toMatchObject({ code: 'E_MODEL' });
    const fn = (t: tf.Tensor) => m.predict(t) as tf.Tensor;
    await expect(explain(fn, x, { method: 'FullGrad', target: 0 })).rejects.toMatchObject({ code: 'E_MODEL' });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
