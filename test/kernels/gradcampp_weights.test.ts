import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

/** The formula in float64, written from the pytorch-grad-cam source independently of the twin. */
function reference(g: Float32Array, a: Float32Array, n: number, hw: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += a[(b * hw + p) * c + k];
      for (let p = 0; p < hw; p++) {
        const gv = g[(b * hw + p) * c + k];
        const alpha = gv === 0 ? 0 : gv ** 2 / (2 * gv ** 2 + s * gv ** 3 + 1e-6);
        out[b * c + k] += Math.max(gv, 0) * alpha;
      }
    }
  }
  return out;
}

describe('gradcampp_weights', async () => {
  const rts = await allRuntimes();

  it('known answer', () => {
    // hw = 2, c = 2. Channel 0: g = [1, -1], a = [1, 1] → S = 2: α = 1/(2+2+1e-6) at p0, p1 has relu(g) = 0.
    // Channel 1: g = [0, 2], a = [3, 0] → S = 3: p0 masked (g == 0); p1: α = 4/(8 + 24 + 1e-6), times 2.
    const g = [1, 0, -1, 2], a = [1, 3, 1, 0];
    for (const r of runFlavors(rts, [2, 4, 4, 2], [null, g, a, null], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, 1, 2, 2))) {
      expect(r.views[0][0], r.flavor).toBeCloseTo(1 / (4 + 1e-6), 6);
      expect(r.views[0][1], r.flavor).toBeCloseTo((2 * 4) / (32 + 1e-6), 6);
      expect(Array.from(r.views[3]), r.flavor).toEqual([2, 3]); // tmp holds S
    }
  });

  it('writes nothing past its n·c weights or its c scratch values', () => {
    const g = rand(2 * 6 * 5, 3), a = rand(2 * 6 * 5, 4, 0, 1);
    const rs = runFlavors(rts, [2 * 5 + 3, 2 * 6 * 5, 2 * 6 * 5, 5 + 2], [new Float32Array(13).fill(7), g, a, new Float32Array(7).fill(7)], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, 2, 6, 5));
    for (const r of rs) {
      expect(Array.from(r.views[0].subarray(10)), r.flavor).toEqual([7, 7, 7]);
      expect(Array.from(r.views[3].subarray(5)), r.flavor).toEqual([7, 7]);
    }
  });

  it('all flavors give the same bits over 0–33 channels, odd maps, n = 1 and 2; close to a float64 reference', () => {
    for (const [h, w] of MAPS) {
      for (const n of [1, 2]) {
        for (let c = 0; c <= 33; c++) {
          const hw = h * w, len = n * hw * c;
          const g = rand(len, c + 3), a = rand(len, c * 5 + hw, 0, 2); // post-ReLU activations
          const rs = runFlavors(rts, [n * c, len, len, c], [null, g, a, null], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, n, hw, c));
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${n}×${h}×${w}×${c}`).toBe(-1);
          expect(relErr(rs[2].views[0], reference(g, a, n, hw, c))).toBeLessThanOrEqual(tol.kernel_raw_rel);
        }
      }
    }
  });

  it('property: bit-identical flavors for any values, signed activations and huge magnitudes included', () => {
    const shape = fc.record({ n: fc.integer({ min: 1, max: 2 }), hw: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 0, max: 21 }) });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.hw * s.c, wildF32(1e30)), f32Array(s.n * s.hw * s.c, wildF32(1e30)))),
        ([{ n, hw, c }, g, a]) => {
          const rs = runFlavors(rts, [n * c, n * hw * c, n * hw * c, c], [null, g, a, null], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, n, hw, c));
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('zero gradients weigh 0 even where the activation sum S is infinite (0·Inf would be NaN)', () => {
    // hw = 2, c = 2: channel 0 has S = +Inf and g = 0 everywhere; channel 1 is ordinary.
    const g = [0, 1, 0, 2], a = [Infinity, 1, 1, 1];
    for (const r of runFlavors(rts, [2, 4, 4, 2], [null, g, a, null], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, 1, 2, 2))) {
      expect(r.views[0][0], r.flavor).toBe(0);
      expect(Number.isFinite(r.views[0][1]), r.flavor).toBe(true);
    }
  });

  it('non-positive gradients give zero weight', () => {
    const g = rand(6 * 5, 9, -1, 0), a = rand(6 * 5, 2, 0, 1);
    for (const r of runFlavors(rts, [5, 30, 30, 5], [null, g, a, null], (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, 1, 6, 5))) {
      expect(Array.from(r.views[0]).every((v) => v === 0), r.flavor).toBe(true);
    }
  });
});
