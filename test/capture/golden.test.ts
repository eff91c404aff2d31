// The golden models (pytorch-grad-cam reference, rebuilt with tf.loadLayersModel) through the capture
// adapter and explain(), on cpu and wasm: logits, activations, gradients, guided backprop, Grad-CAM map.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain, guidedBackprop, makeScore } from '../../src/capture/index.js';
import { init } from '../../src/runtime/init.js';
import { absErr, relErr } from '../helpers/flavors.js';
import { BACKENDS, goldenModel, loadGolden, useBackend, type Golden } from '../helpers/tfmodels.js';
import tol from '../tolerances.json' with { type: 'json' };

const g: Golden = loadGolden();

for (const backend of BACKENDS) {
  describe(`golden models through capture on ${backend}`, () => {
    const models = new Map<string, tf.LayersModel>();
    beforeAll(async () => {
      await init();
      await useBackend(backend);
      for (const name of Object.keys(g.models)) models.set(name, await goldenModel(g, name));
    });

    for (const c of g.cases) {
      it(`${c.id}: logits, activations, gradients${c.guided_backprop ? ', guided backprop' : ''}, Grad-CAM`, async () => {
        const model = models.get(c.model)!;
        const ad = createAdapter(model);
        const px = g.images[c.image].pixels;
        const x = tf.tensor4d(px.values, px.shape as [number, number, number, number]);
        const before = tf.memory().numTensors;

        const r = ad.capture(x, c.target_layer, makeScore(c.target_class, [1, 5]));
        const [logits, A, G] = await Promise.all([r.output.data(), r.activations.data(), r.gradients.data()]);
        expect(r.activations.shape).toEqual(c.activations.shape);
        expect(absErr(logits, c.logits)).toBeLessThan(tol.e2e_logits_abs);
        expect(relErr(A, c.activations.values)).toBeLessThan(tol.e2e_activations_rel);
        expect(relErr(G, c.gradients.values)).toBeLessThan(tol.e2e_gradients_rel);
        tf.dispose([r.output, r.activations, r.gradients]);

        const e = await explain(model, x, { method: 'GradCAM', layer: c.target_layer, target: c.target_class });
        expect(absErr(e.map, c.methods.GradCAM.grayscale_cam.values)).toBeLessThan(tol.e2e_map_abs);
        expect(e.classIndex[0]).toBe(c.target_class);
        expect(e.score[0]).toBeCloseTo(c.logits[c.target_class], 4);

        if (c.guided_backprop) {
          const gb = await guidedBackprop(model, x, { target: c.target_class });
          expect(gb.shape).toEqual([1, 48, 64, 3]);
          expect(relErr(gb.data, c.guided_backprop.values)).toBeLessThan(tol.e2e_guided_rel);
        }
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
      });
    }

    it('the automatic target layer is the last feature map before pooling (conv3, block_out)', () => {
      const x = tf.zeros([1, 48, 64, 3]);
      expect(createAdapter(models.get('seq_s0')!).defaultLayer(x)).toBe('conv3');
      expect(createAdapter(models.get('res_s1')!).defaultLayer(x)).toBe('block_out');
      x.dispose();
    });
  });
}
