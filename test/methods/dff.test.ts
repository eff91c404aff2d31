// Deep Feature Factorization: no reference data (the v2 file holds none, and pgc's solver is
// randomised), so the factorisation is tested on its own terms on every kernel flavor: non-negative
// factors, the reported error equal to a float64 recomputation of ‖P − E·Wᵀ‖ from the returned
// concepts and explanations, the error below the start and falling with more concepts, a planted
// factorisation recovered; through a golden model, the head's top classes equal a direct computation.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { deepFeatureFactorization, factorizeSync } from '../../src/capture/dff.js';
import { loadExtension } from '../../src/runtime/extension.js';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { useBackend } from '../helpers/tfmodels.js';
import { GOLDEN_V2_PATH, goldenImage, goldenModel, loadGolden } from '../helpers/golden.js';

const g = loadGolden(GOLDEN_V2_PATH);

/** ‖P − E·Wᵀ‖_F in float64, P the activations minus each channel's minimum, from the returned factors. */
function residual(a: Float32Array, shape: number[], f: ReturnType<typeof factorizeSync>): number {
  const [n, h, w, c] = shape, hw = h * w, k = f.components;
  const off = new Float64Array(c).fill(Infinity);
  for (let i = 0; i < a.length; i++) off[i % c] = Math.min(off[i % c], a[i]);
  let s = 0;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let q = 0; q < c; q++) {
        let r = 0;
        for (let l = 0; l < k; l++) r += f.explanations[(b * k + l) * hw + p] * (f.concepts[q * k + l] - off[q]);
        s += (a[(b * hw + p) * c + q] - off[q] - r) ** 2;
      }
    }
  }
  return Math.sqrt(s);
}

describe('Deep Feature Factorization', async () => {
  const rts = await allRuntimes();
  for (const rt of Object.values(rts)) await loadExtension(rt);
  const c0 = g.cases[0];
  const A = Float32Array.from(c0.activations.values);
  const shape = c0.activations.shape;

  it('golden activations: non-negative factors, reported error = float64 residual, below the start, falling with k; all flavors', () => {
    for (const [flavor, rt] of Object.entries(rts)) {
      const errs: number[] = [];
      for (const k of [2, 4, 8]) {
        const f = factorizeSync(rt, A, shape, { components: k, size: [48, 64] });
        expect(f.explanations.every((v) => v >= 0), flavor).toBe(true);
        const off = new Float32Array(shape[3]).fill(Infinity);
        A.forEach((v, i) => (off[i % shape[3]] = Math.min(off[i % shape[3]], v)));
        for (let q = 0; q < shape[3]; q++) for (let l = 0; l < k; l++) expect(f.concepts[q * k + l] - off[q]).toBeGreaterThanOrEqual(-1e-6);
        expect(Math.abs(f.error - residual(A, shape, f)) / f.norm, `${flavor} k=${k}`).toBeLessThan(1e-5);
        expect(f.error).toBeLessThan(f.initialError);
        expect(f.maps.length).toBe(k * 48 * 64);
        expect(f.maps.every((v) => v >= 0 && v < 1)).toBe(true);
        errs.push(f.error / f.norm);
      }
      expect(errs[1], flavor).toBeLessThan(errs[0]);
      expect(errs[2], flavor).toBeLessThan(errs[1]);
      expect(errs[2], flavor).toBeLessThan(0.2);
    }
  });

  it('a planted rank-3 non-negative factorisation is recovered (relative error < 1e-2)', () => {
    const n = 60, c = 10, k = 3;
    const E = rand(n * k, 3, 0, 1), Wt = rand(c * k, 4, 0, 1);
    // Position 0 explains nothing: every channel's minimum is 0, so the offsets keep P rank 3.
    E.fill(0, 0, k);
    const P = new Float32Array(n * c);
    for (let i = 0; i < n; i++) for (let q = 0; q < c; q++) for (let l = 0; l < k; l++) P[i * c + q] += E[i * k + l] * Wt[q * k + l];
    const f = factorizeSync(rts.simd, P, [1, 6, 10, c], { components: k, maxIter: 2000, tol: 0 });
    expect(f.error / f.norm).toBeLessThan(1e-2);
  });

  it('options are validated', () => {
    expect(() => factorizeSync(rts.js, A, shape, { components: 0 })).toThrow(/components/);
    expect(() => factorizeSync(rts.js, A, [1, 2, 3], {})).toThrow(/N, H, W, C/);
  });

  describe('through a model', () => {
    beforeAll(() => useBackend('cpu'));
    it('concept maps at the input size; the head\'s top classes = softmax order of concepts·W + b; no leaks', async () => {
      const model = await goldenModel(g, 'seq_s0');
      const dense = model.getLayer('dense');
      const x = goldenImage(g, 'img0');
      const before = tf.memory().numTensors;
      const r = await deepFeatureFactorization(model, x, { layer: 'conv3', components: 4, head: (t) => dense.apply(t) as tf.Tensor, topK: 2, runtime: rts.simd });
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      expect([r.width, r.height, r.maps.length]).toEqual([64, 48, 4 * 48 * 64]);
      const [Wd, bd] = dense.getWeights().map((t) => t.dataSync());
      for (let l = 0; l < 4; l++) {
        const z = Array.from({ length: 5 }, (_, j) => bd[j] + Array.from({ length: 16 }, (_, q) => r.concepts[q * 4 + l] * Wd[q * 5 + j]).reduce((a, b) => a + b, 0));
        const order = z.map((_, j) => j).sort((a, b) => z[b] - z[a]);
        expect(r.topClasses![l].classes).toEqual(order.slice(0, 2));
        expect(Math.abs(r.conceptScores![l * 5 + order[0]] - z[order[0]])).toBeLessThan(1e-4);
      }
    });
  });
});
