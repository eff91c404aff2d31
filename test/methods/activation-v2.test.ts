// FEM, KPCA_CAM, SegEigenCAM and RandomCAM through computeCam, against golden v2 (stored activations
// and gradients of the 20 CNN cases and the 6 segmentation cases) on every kernel flavor, and against
// an independent float64 formulation where the reference has none (RandomCAM).
import { describe, expect, it } from 'vitest';
import { computeCam, computeCamSync } from '../../src/compute.js';
import { loadExtension } from '../../src/runtime/extension.js';
import { getMethod } from '../../src/methods/registry.js';
import { allRuntimes, absErr, relErr } from '../helpers/flavors.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import { rng } from '../../src/core/random.js';
import tol from '../tolerances.json';

const g = loadGolden(GOLDEN_V2_PATH);
const arrays = (c: (typeof g.cases)[number], grads = true) => ({
  activations: { data: Float32Array.from(c.activations.values), shape: c.activations.shape },
  ...(grads && c.gradients ? { gradients: { data: Float32Array.from(c.gradients.values), shape: c.gradients.shape } } : {}),
  inputSize: [48, 64] as [number, number],
});

describe('v2 activation methods against golden v2', async () => {
  const rts = await allRuntimes();
  for (const rt of Object.values(rts)) await loadExtension(rt);

  for (const name of ['FEM', 'KPCA_CAM', 'SegEigenCAM']) {
    it(`${name}: weights, cam_lowres and map of every case holding it, all flavors`, () => {
      const cases = g.cases.filter((c) => c.methods[name]);
      expect(cases.length).toBeGreaterThanOrEqual(20);
      // KPCA: the library works in float32 LAPACK (README: 1e-4 relative).
      const lowTol = name === 'KPCA_CAM' ? tol.golden_eigen_cam_lowres_rel : tol.golden_cam_lowres_rel;
      for (const [flavor, rt] of Object.entries(rts)) {
        for (const c of cases) {
          const ref = c.methods[name];
          const r = computeCamSync(rt, name, arrays(c));
          if (ref.weights) expect(relErr(r.weights!, ref.weights), `${flavor} ${c.id}`).toBeLessThanOrEqual(tol.golden_weights_rel);
          expect(relErr(r.lowres, ref.cam_lowres.values), `${flavor} ${c.id}`).toBeLessThanOrEqual(lowTol);
          expect(absErr(r.map, ref.grayscale_cam.values), `${flavor} ${c.id}`).toBeLessThanOrEqual(tol.golden_grayscale_abs);
        }
      }
    });
  }

  it('FEM: thresholds and exact mask counts (weights·hw) equal the stored ones', () => {
    for (const c of g.cases.filter((x) => x.methods.FEM)) {
      const r = computeCamSync(rts.simd, 'FEM', arrays(c));
      const e = c.methods.FEM.extra as { mask_counts: number[] };
      const hw = c.activations.shape[1] * c.activations.shape[2];
      expect(Array.from(r.weights!, (w) => Math.round(w * hw)), c.id).toEqual(e.mask_counts);
    }
  });

  it('computeCam (async) loads the extension kernels itself', async () => {
    const c = g.cases[0];
    const r = await computeCam('kpcacam', arrays(c, false));
    expect(relErr(r.lowres, c.methods.KPCA_CAM.cam_lowres.values)).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
  });

  it('RandomCAM: seeded uniform weights in [−1, 1), map = Σ w·A (float64 formulation), same on every flavor', () => {
    const c = g.cases[0];
    const [, h, w, C] = c.activations.shape;
    for (const seed of [0, 7]) {
      const r = rng(seed);
      const wts = Array.from({ length: C }, () => 2 * r() - 1);
      const want = Array.from({ length: h * w }, (_, p) => wts.reduce((s, wk, k) => s + wk * c.activations.values[p * C + k], 0));
      for (const [flavor, rt] of Object.entries(rts)) {
        const res = computeCamSync(rt, getMethod('RandomCAM'), arrays(c, false), { seed });
        expect(relErr(res.weights!, wts), flavor).toBeLessThan(1e-7);
        expect(res.weights!.every((v) => v >= -1 && v < 1)).toBe(true);
        expect(relErr(res.lowres, want), flavor).toBeLessThan(1e-5);
      }
    }
    const a = computeCamSync(rts.js, 'RandomCAM', arrays(c, false), { seed: 1 });
    const b = computeCamSync(rts.js, 'RandomCAM', arrays(c, false), { seed: 2 });
    expect(relErr(a.weights!, b.weights!)).toBeGreaterThan(0.1);
  });
});
