// Golden parity: every method on every public case, for each kernel flavor, fed the stored
// activations / gradients / scores, against pytorch-grad-cam's own outputs. Tolerances from the
// golden README (test/tolerances.json).
import { describe, expect, it } from 'vitest';
import { allRuntimes, absErr, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';
import { loadGolden } from './load.js';
import { f32 } from '../../src/conformance/golden.js';
import { computeCamSync, type CamArrays, type CamResult } from '../../src/compute.js';
import { deprocessImage, guidedGradCamSync } from '../../src/methods/guided.js';
import type { Runtime } from '../../src/runtime/init.js';
import type { GoldenCase } from '../../src/conformance/golden.js';
import { CAM_METHODS, findMethod } from '../../src/methods/registry.js';

const g = loadGolden();
// The registry's computeCam methods with a stored reference and a deterministic sign.
const STORED = CAM_METHODS.filter((m) => !m.signArbitrary && g.cases.every((c) => c.methods[m.name])).map((m) => m.name);

function arrays(c: GoldenCase, method: string): CamArrays {
  const x: CamArrays = {
    activations: { data: f32(c.activations)!, shape: c.activations.shape },
    gradients: { data: f32(c.gradients!)!, shape: c.gradients!.shape },
    inputSize: g.meta!.input_hw,
  };
  const e = c.methods[method]?.extra as Record<string, unknown> | undefined;
  const needs = findMethod(method)!.needs;
  if (needs.includes('originalScore')) {
    x.scores = e!.ablated_scores as number[];
    x.originalScore = e!.original_score as number;
  } else if (needs.includes('scores')) x.scores = e!.scores as number[];
  return x;
}

function sample(rt: Runtime, c: GoldenCase, method: string): CamResult {
  return computeCamSync(rt, method, arrays(c, method));
}

describe('golden parity (stored arrays → maps)', async () => {
  const rts = await allRuntimes();

  it('reads 20 public cases with every method', () => {
    expect(g.cases.length).toBe(20);
    for (const c of g.cases) for (const m of Object.keys(c.methods)) expect(findMethod(m), m).not.toBeNull();
    expect(STORED.length).toBeGreaterThanOrEqual(8);
  });

  for (const [flavor, rt] of Object.entries(rts)) {
    it(`${flavor}: gradient methods, ScoreCAM and AblationCAM (weights, cam_lowres, grayscale_cam)`, () => {
      let checked = 0;
      for (const c of g.cases) {
        for (const m of STORED) {
          const ref = c.methods[m];
          const r = sample(rt, c, m);
          const where = `${c.id} ${m}`;
          expect(r.kernels).toBe(flavor);
          expect(r.width).toBe(64);
          expect(r.height).toBe(48);
          expect([where, r.weights === null]).toEqual([where, ref.weights == null]);
          if (ref.weights) expect(relErr(r.weights!, ref.weights), where).toBeLessThanOrEqual(tol.golden_weights_rel);
          expect(relErr(r.lowres, ref.cam_lowres!.values), where).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
          expect(absErr(r.map, ref.grayscale_cam!.values), where).toBeLessThanOrEqual(tol.golden_grayscale_abs);
          checked++;
        }
      }
      expect(checked).toBe(160);
    });

    it(`${flavor}: EigenCAM and EigenGradCAM after sign alignment`, () => {
      let flips = 0;
      for (const c of g.cases) {
        for (const m of ['EigenCAM', 'EigenGradCAM']) {
          const ref = c.methods[m];
          const r = sample(rt, c, m);
          const low = ref.cam_lowres!.values;
          let dot = 0;
          for (let i = 0; i < low.length; i++) dot += r.lowres[i] * low[i];
          const sign = dot < 0 ? -1 : 1;
          if (sign < 0) flips++;
          const where = `${c.id} ${m} sign ${sign}`;
          expect(relErr(r.lowres.map((v) => sign * v), low), where).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
          const gray = sign < 0 ? ((ref.extra as Record<string, number[]>).grayscale_cam_if_sign_flipped) : ref.grayscale_cam!.values;
          expect(absErr(r.map, gray), where).toBeLessThanOrEqual(tol.golden_grayscale_abs);
          expect(r.iterations![0], where).toBeGreaterThan(0);
        }
      }
      // The reference's sign is arbitrary (README §7): both signs must occur, or the alignment is untested.
      expect(flips).toBeGreaterThan(0);
      expect(flips).toBeLessThan(40);
    });

    it(`${flavor}: Guided Grad-CAM fusion and deprocess_image`, () => {
      let n = 0;
      for (const c of g.cases) {
        if (!c.guided_backprop) continue;
        const gb = c.guided_backprop;
        // Our own GradCAM map (checked above to 1e-4) times the stored guided backprop.
        const cam = sample(rt, c, 'GradCAM');
        const fused = guidedGradCamSync(rt, { data: f32(gb)!, shape: gb.shape! }, cam);
        expect(fused.length).toBe(48 * 64 * 3);
        let gbMax = 0;
        for (const v of gb.values) gbMax = Math.max(gbMax, Math.abs(v));
        const refFused = c.guided_gradcam!.values;
        // |Δ| ≤ |gb|·|Δmap|: the map's 1e-4 bound, scaled to the fused values.
        expect(absErr(fused, refFused), c.id).toBeLessThanOrEqual(tol.golden_grayscale_abs * gbMax);
        // From the stored GradCAM map the product is exact to float rounding.
        const exact = guidedGradCamSync(rt, { data: f32(gb)!, shape: gb.shape! }, f32(c.methods.GradCAM.grayscale_cam!)!);
        expect(relErr(exact, refFused), c.id).toBeLessThanOrEqual(tol.e2e_guided_rel);
        expect(absErr(deprocessImage(exact), c.guided_gradcam_deprocessed_uint8!.values), c.id).toBeLessThanOrEqual(tol.deprocessed_uint8_abs);
        n++;
      }
      expect(n).toBe(16);
    });
  }

  it('the three flavors agree (raw within 1e-5 of the largest magnitude, maps within 1e-4)', () => {
    for (const c of g.cases) {
      for (const m of CAM_METHODS.filter((d) => c.methods[d.name]).map((d) => d.name)) {
        const [s, sc, js] = [rts.simd, rts.scalar, rts.js].map((rt) => sample(rt, c, m));
        for (const r of [s, sc]) {
          if (js.weights) expect(relErr(r.weights!, js.weights), `${c.id} ${m}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          expect(relErr(r.lowres, js.lowres), `${c.id} ${m}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          expect(absErr(r.map, js.map), `${c.id} ${m}`).toBeLessThanOrEqual(tol.kernel_normalised_abs);
        }
      }
    }
  });

  it('deprocessImage follows cam.py on a hand-computed example', () => {
    // mean 0.5, std 0.5: (x−0.5)/(0.5+1e-5)·0.1+0.5 → 0.4000008, 0.5999992 → ×255 truncated: 102, 152.
    expect(Array.from(deprocessImage(new Float32Array([0, 1])))).toEqual([102, 152]);
    // A constant image: (x−mean) = 0 → 0.5 → 127 (truncation, not rounding to 128).
    expect(Array.from(deprocessImage(new Float32Array([3, 3, 3])))).toEqual([127, 127, 127]);
  });
});
