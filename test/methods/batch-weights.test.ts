// The computeCam methods that loop over the images of a batch themselves (CAM, ScoreCAM, AblationCAM,
// the Eigen methods, FEM): a 2-image batch equals its images computed one by one, and the weights
// are the documented ones. No golden data and no tfjs, so `npm run mutate` runs it cheaply.
import { describe, expect, it } from 'vitest';
import { rand } from '../helpers/flavors.js';
import { camSample, computeCamSync, type CamArrays } from '../../src/compute.js';
import { createRuntime } from '../../src/runtime/init.js';
import { loadExtension } from '../../src/runtime/extension.js';

const [n, h, w, c] = [2, 4, 5, 6];
const one = h * w * c;
const A = rand(n * one, 31, 0, 2), G = rand(n * one, 32);
const W = rand(c * 3, 33); // classifier [c][3]
const S = rand(n * c, 34, -2, 2);
const arr = (data: Float32Array, shape: number[]) => ({ data, shape });

function inputs(i: number | null): CamArrays {
  const pick = (x: Float32Array, len: number) => (i === null ? x : x.slice(i * len, (i + 1) * len));
  const shape = i === null ? [n, h, w, c] : [h, w, c];
  return {
    activations: arr(pick(A, one), shape),
    gradients: arr(pick(G, one), shape),
    classifierWeights: arr(W, [c, 3]),
    classIndex: i === null ? [2, 0] : [[2, 0][i]],
    scores: pick(S, c),
    originalScore: i === null ? [1.5, -2] : [[1.5, -2][i]],
  };
}

describe('batched computeCam methods', async () => {
  const rt = await createRuntime('js');
  await loadExtension(rt);

  it('a batch equals its images one by one (weights, low-res map, map)', () => {
    const cases: [string, object][] = [['CAM', {}], ['ScoreCAM', {}], ['ScoreCAM', { scoreWeights: 'probability' }], ['AblationCAM', {}], ['EigenCAM', {}], ['EigenGradCAM', {}], ['FEM', {}]];
    for (const [m, opts] of cases) {
      const batch = computeCamSync(rt, m, inputs(null), { outputSize: [6, 7], ...opts });
      expect(batch.n, m).toBe(2);
      for (let i = 0; i < n; i++) {
        const single = computeCamSync(rt, m, inputs(i), { outputSize: [6, 7], ...opts });
        const part = camSample(batch, i);
        expect(Array.from(part.lowres), `${m} image ${i}`).toEqual(Array.from(single.lowres));
        expect(Array.from(part.map), `${m} image ${i}`).toEqual(Array.from(single.map));
        if (single.weights) expect(Array.from(part.weights!), `${m} image ${i}`).toEqual(Array.from(single.weights));
      }
    }
  });

  it('Eigen methods and KPCA-CAM: a batch equals its images, and reports one iteration count per image', () => {
    for (const m of ['EigenCAM', 'EigenGradCAM', 'SegEigenCAM', 'KPCA_CAM']) {
      const batch = computeCamSync(rt, m, inputs(null), { outputSize: [6, 7] });
      expect(batch.iterations, m).toHaveLength(2);
      for (const it of batch.iterations!) expect(Number.isInteger(it) && it > 0, `${m} ${it}`).toBe(true);
      for (let i = 0; i < n; i++) {
        const single = computeCamSync(rt, m, inputs(i), { outputSize: [6, 7] });
        expect(single.iterations, m).toEqual([batch.iterations![i]]);
        expect(Array.from(camSample(batch, i).lowres), `${m} image ${i}`).toEqual(Array.from(single.lowres));
      }
    }
  });

  it('the weights: CAM gathers the class column, ScoreCAM softmax or probability, AblationCAM (y − s)/y', () => {
    const cam = computeCamSync(rt, 'CAM', inputs(null)).weights!;
    expect(Array.from(cam)).toEqual([...Array.from({ length: c }, (_, k) => W[k * 3 + 2]), ...Array.from({ length: c }, (_, k) => W[k * 3])]);
    const prob = computeCamSync(rt, 'ScoreCAM', inputs(null), { scoreWeights: 'probability' }).weights!;
    expect(Array.from(prob)).toEqual(Array.from(S));
    const soft = computeCamSync(rt, 'ScoreCAM', inputs(null)).weights!;
    for (let i = 0; i < n; i++) {
      const s = Array.from(S.subarray(i * c, (i + 1) * c));
      const z = s.reduce((t, v) => t + Math.exp(v), 0);
      for (let k = 0; k < c; k++) expect(soft[i * c + k]).toBeCloseTo(Math.exp(s[k]) / z, 6);
    }
    const abl = computeCamSync(rt, 'AblationCAM', inputs(null)).weights!;
    const y = [1.5, -2];
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) expect(abl[i * c + k]).toBeCloseTo((y[i] - S[i * c + k]) / y[i], 6);
  });
});
