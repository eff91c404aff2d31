// Every computeCam method of the registry treats a batch as independent images: the result for a
// batch of 3 equals the three single-image results (weights, cam_lowres, map, power iterations), on an
// odd non-square map. Catches per-image offsets that a batch of one cannot see.
import { describe, expect, it } from 'vitest';
import { computeCamSync, type CamArrays, type CamOptions, type CamResult } from '../../src/compute.js';
import { isCamMethod, METHODS } from '../../src/methods/registry.js';
import type { CamMethod } from '../../src/methods/types.js';
import { loadExtension } from '../../src/runtime/extension.js';
import { createRuntime } from '../../src/runtime/init.js';
import { rand } from '../helpers/flavors.js';

const [N, h, w, c, K] = [3, 3, 5, 6, 4];
const img = h * w * c;

/** The inputs of images [from, to) of one random batch, as `needs` asks. */
function inputs(needs: readonly string[], from: number, to: number, withHvp: boolean): CamArrays {
  const n = to - from;
  const slice = (a: Float32Array, per: number) => a.slice(from * per, to * per);
  const A = rand(N * img, 51, 0, 2); // non-negative, as after a ReLU (NMF and Eigen methods like it)
  const G = rand(N * img, 52, -1, 1);
  const x: CamArrays = { activations: { data: slice(A, img), shape: [n, h, w, c] }, inputSize: [7, 9] };
  if (needs.includes('gradients')) x.gradients = { data: slice(G, img), shape: [n, h, w, c] };
  if (withHvp) x.hvp = { data: slice(rand(N * img, 53, -1, 1), img), shape: [n, h, w, c] };
  if (needs.includes('scores')) x.scores = slice(rand(N * c, 54, -2, 2), c);
  if (needs.includes('originalScore')) x.originalScore = Array.from(slice(Float32Array.from([1.5, -0.7, 2.2]), 1));
  if (needs.includes('classifierWeights')) x.classifierWeights = { data: rand(c * K, 55, -1, 1), shape: [c, K] };
  if (needs.includes('classIndex')) x.classIndex = [2, 0, 3].slice(from, to);
  return x;
}

function expectPart(all: CamResult, part: CamResult, i: number, what: string): void {
  const hw = all.lowresShape[0] * all.lowresShape[1], HW = all.width * all.height;
  expect(Array.from(all.lowres.subarray(i * hw, (i + 1) * hw)), `${what} lowres`).toEqual(Array.from(part.lowres));
  expect(Array.from(all.map.subarray(i * HW, (i + 1) * HW)), `${what} map`).toEqual(Array.from(part.map));
  if (all.weights) expect(Array.from(all.weights.subarray(i * c, (i + 1) * c)), `${what} weights`).toEqual(Array.from(part.weights!));
  if (all.iterations) expect(all.iterations[i], `${what} iterations`).toBe(part.iterations![0]);
}

describe('computeCam on a batch = image by image', () => {
  for (const m of METHODS.filter(isCamMethod)) {
    it(m.name, async () => {
      for (const flavor of ['js', 'simd'] as const) await batchCase(m, flavor);
    });
  }
});

async function batchCase(m: CamMethod, flavor: 'js' | 'simd'): Promise<void> {
  const rt = await createRuntime(flavor);
  if (m.cam.extension) await loadExtension(rt);
  const opts: CamOptions = {};
  const variants: [string, CamOptions, boolean][] = [['default', opts, false]];
  if (m.needs.includes('scores') && !m.needs.includes('originalScore')) variants.push(['probability weights', { scoreWeights: 'probability' }, false]);
  if (m.explain.via === 'second-order') variants.push(['with hvp', opts, true]);
  for (const [what, o, hvp] of variants) {
    const x = inputs(m.needs, 0, N, hvp);
    const all = computeCamSync(rt, m, x, o);
    expect(all.n).toBe(N);
    // The power-iteration methods report their iterations per image.
    if (['EigenCAM', 'EigenGradCAM', 'KPCA_CAM', 'SegEigenCAM'].includes(m.name)) expect(all.iterations, m.name).toHaveLength(N);
    // Score-CAM's 'probability' weights are the scores themselves (the paper), not their softmax.
    if (o.scoreWeights === 'probability') expect(Array.from(all.weights!)).toEqual(Array.from(Float32Array.from(x.scores!)));
    if (m.name === 'RandomCAM') {
      // One seeded stream over the batch: image i's weights are not a lone image's. Each image's
      // raw map is still Σ_c w_c·A_c with its own weights, and the images' weights differ.
      const A = (inputs(m.needs, 0, N, false).activations as { data: Float32Array }).data;
      for (let i = 0; i < N; i++) {
        for (let p = 0; p < h * w; p++) {
          let s = 0;
          for (let k = 0; k < c; k++) s += all.weights![i * c + k] * A[(i * h * w + p) * c + k];
          expect(all.lowres[i * h * w + p]).toBeCloseTo(s, 5);
        }
      }
      expect(Array.from(all.weights!.subarray(0, c))).not.toEqual(Array.from(all.weights!.subarray(c, 2 * c)));
      expect(all.weights!.every((v) => v >= -1 && v < 1)).toBe(true);
      continue;
    }
    if (all.iterations) expect(all.iterations).toHaveLength(N);
    for (let i = 0; i < N; i++) expectPart(all, computeCamSync(rt, m, inputs(m.needs, i, i + 1, hvp), o), i, `${m.name} ${flavor} ${what} image ${i}`);
  }
}

describe('refineMaps on a batch = image by image', () => {
  it('product of the layer maps, then (P − min)/(max + 1e-7) per image', async () => {
    const { refineMaps } = await import('../../src/methods/refinecam.js');
    const hw = 15;
    const maps = [rand(N * hw, 61, 0, 1), rand(N * hw, 62, 0, 1), rand(N * hw, 63, 0, 1)];
    const all = refineMaps(maps, N);
    for (let i = 0; i < N; i++) {
      const one = refineMaps(maps.map((m) => m.slice(i * hw, (i + 1) * hw)), 1);
      expect(Array.from(all.subarray(i * hw, (i + 1) * hw)), `image ${i}`).toEqual(Array.from(one));
      const p = Array.from({ length: hw }, (_, j) => Math.fround(Math.fround(maps[0][i * hw + j] * maps[1][i * hw + j]) * maps[2][i * hw + j]));
      const lo = Math.min(...p), hi = Math.max(...p.map((v) => Math.fround(v - lo)));
      p.forEach((v, j) => expect(one[j]).toBeCloseTo(Math.fround(v - lo) / Math.fround(1e-7 + hi), 6));
    }
  });
});
