// CAM (Zhou et al. 2016) against a direct computation: w = the classifier column of each image's
// class, cam_lowres = Σ_c w_c·A_c, on every kernel flavor, a batch with different classes and an
// odd, non-square map.
import { describe, expect, it } from 'vitest';
import { computeCamSync } from '../../src/compute.js';
import { CAM } from '../../src/methods/cam.js';
import { createRuntime } from '../../src/runtime/init.js';
import { rand } from '../helpers/flavors.js';

describe('CAM', () => {
  it('weights = W[:, class] per image; cam_lowres = Σ_c w_c A_c; on simd, scalar and js', async () => {
    const [n, h, w, c, k] = [2, 3, 5, 7, 4];
    const A = rand(n * h * w * c, 41, -1, 1);
    const W = rand(c * k, 42, -1, 1);
    const cls = [3, 1];
    for (const flavor of ['simd', 'scalar', 'js'] as const) {
      const rt = await createRuntime(flavor);
      const r = computeCamSync(rt, CAM, { activations: { data: A, shape: [n, h, w, c] }, classifierWeights: { data: W, shape: [c, k] }, classIndex: cls }, { output: 'raw' });
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) expect(r.weights![i * c + ch], `${flavor} w[${i}][${ch}]`).toBe(W[ch * k + cls[i]]);
        for (let p = 0; p < h * w; p++) {
          let s = 0;
          for (let ch = 0; ch < c; ch++) s += W[ch * k + cls[i]] * A[(i * h * w + p) * c + ch];
          expect(r.lowres[i * h * w + p], `${flavor} cam[${i}][${p}]`).toBeCloseTo(s, 5);
        }
      }
      expect(r.lowresShape).toEqual([h, w]);
    }
  });
});
