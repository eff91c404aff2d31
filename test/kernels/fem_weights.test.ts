import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import tol from '../tolerances.json';

/** float64 reference: thresholds mean + k·std (population) and strict counts against the f32 threshold. */
function reference(a: ArrayLike<number>, n: number, hw: number, c: number, k: number) {
  const th = new Float64Array(n * c), count = new Float64Array(n * c);
  for (let b = 0; b < n; b++) {
    for (let q = 0; q < c; q++) {
      const col = Array.from({ length: hw }, (_, p) => a[(b * hw + p) * c + q]);
      const m = col.reduce((s, v) => s + v, 0) / hw;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / hw);
      th[b * c + q] = m + k * sd;
      count[b * c + q] = col.filter((v) => v > Math.fround(m + k * sd)).length;
    }
  }
  return { th, count };
}

describe('fem_weights', async () => {
  const rts = await allRuntimes();
  const run = (a: ArrayLike<number>, n: number, hw: number, c: number, k = 2) =>
    runFlavors(rts, [n * c, n * c, n * hw * c], [null, null, a], (kk, [w, th, av]) => kk.fem_weights(w, th, av, n, hw, c, k));

  it('known answer: hand-laid channels, all-zero and constant channels', () => {
    // hw = 5, c = 3. Channel 0: [0,0,0,0,10]: mean 2, std 4, th = 10 → nothing strictly above → w 0.
    // With k = 1: th = 6 → one position (10) above → w 1/5. Channel 1 all zero: th 0, w 0.
    // Channel 2: [1,2,3,4,5]: mean 3, std √2, k = 1 → th 4.414… → one position (5) → 1/5.
    const a = [0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 10, 0, 5];
    for (const r of run(a, 1, 5, 3)) {
      expect(Array.from(r.views[1]), r.flavor).toEqual([10, 0, Math.fround(3 + 2 * Math.SQRT2)]);
      expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0]);
    }
    for (const r of run(a, 1, 5, 3, 1)) {
      expect(Array.from(r.views[1]), r.flavor).toEqual([6, 0, Math.fround(3 + Math.SQRT2)]);
      expect(Array.from(r.views[0]), r.flavor).toEqual([Math.fround(1 / 5), 0, Math.fround(1 / 5)]);
    }
    // A constant channel: std 0, th = the value, nothing strictly above.
    for (const r of run([2.5, 2.5, 2.5, 2.5], 1, 4, 1)) {
      expect([r.views[0][0], r.views[1][0]], r.flavor).toEqual([0, 2.5]);
    }
  });

  it('writes nothing past its n·c weights and thresholds', () => {
    const n = 2, hw = 5, c = 3;
    const a = rand(n * hw * c, 8);
    const fill = new Float32Array(n * c + 3).fill(7);
    for (const r of runFlavors(rts, [n * c + 3, n * c + 3, n * hw * c], [fill, fill, a], (kk, [w, th, av]) => kk.fem_weights(w, th, av, n, hw, c, 2))) {
      expect(Array.from(r.views[0].subarray(n * c)), `${r.flavor} w`).toEqual([7, 7, 7]);
      expect(Array.from(r.views[1].subarray(n * c)), `${r.flavor} th`).toEqual([7, 7, 7]);
      expect(r.views[0].subarray(0, n * c).every((v) => v >= 0 && v <= 1), r.flavor).toBe(true);
    }
  });

  it('NaN or ±Inf in a channel: th NaN, weight 0 (as numpy comparisons); hw = 0 writes zeros', () => {
    const a = rand(4 * 3, 5);
    a[4] = NaN;
    a[9] = Infinity;
    for (const r of run(a, 1, 4, 3)) {
      expect(Number.isNaN(r.views[1][1]) && Number.isNaN(r.views[1][0]), r.flavor).toBe(true);
      expect([r.views[0][0], r.views[0][1]], r.flavor).toEqual([0, 0]);
      expect(Number.isFinite(r.views[1][2]), r.flavor).toBe(true);
    }
    for (const r of run([], 2, 0, 3)) expect(Array.from(r.views[0]).concat(Array.from(r.views[1])), r.flavor).toEqual(new Array(12).fill(0));
  });

  it('all flavors give the same bits over 0–33 channels, odd maps, n = 1 and 2; float64 reference', () => {
    for (const [h, w] of MAPS) {
      for (const n of [1, 2]) {
        for (let c = 0; c <= 33; c++) {
          const hw = h * w;
          // Post-ReLU-like data: some exact zeros, some all-zero channels.
          const a = rand(n * hw * c, c * 7 + hw + n, -1, 2).map((v, i) => (v < 0 || (i % c) % 5 === 3 ? 0 : v));
          const rs = run(a, n, hw, c);
          const what = `${n}×${h}×${w}×${c}`;
          for (const r of rs.slice(0, 2)) {
            expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} w ${what}`).toBe(-1);
            expect(firstBitDiff(r.views[1], rs[2].views[1]), `${r.flavor} th ${what}`).toBe(-1);
          }
          const ref = reference(a, n, hw, c, 2);
          expect(relErr(rs[2].views[1], ref.th), what).toBeLessThanOrEqual(1e-7);
          expect(Array.from(rs[2].views[0], (v) => Math.round(v * hw)), what).toEqual(Array.from(ref.count));
        }
      }
    }
  });

  it('property: bit-identical flavors for any values', () => {
    const shape = fc.record({ n: fc.integer({ min: 1, max: 2 }), hw: fc.integer({ min: 1, max: 12 }), c: fc.integer({ min: 0, max: 21 }) });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.hw * s.c, wildF32(1e30)))),
        ([{ n, hw, c }, a]) => {
          const rs = run(a, n, hw, c);
          for (const r of rs.slice(0, 2)) {
            expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
            expect(firstBitDiff(r.views[1], rs[2].views[1]), r.flavor).toBe(-1);
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('golden v2: thresholds (1e-5 rel), mask counts (exact), weights and the low-res map', () => {
    const g = loadGolden(GOLDEN_V2_PATH);
    const cases = g.cases.filter((cs) => cs.methods.FEM);
    expect(cases.length).toBe(20);
    for (const cs of cases) {
      const [, h, w, c] = cs.activations.shape;
      const hw = h * w;
      const ref = cs.methods.FEM;
      const extra = ref.extra as { thresholds: number[]; mask_counts: number[]; k: number };
      for (const rt of Object.values(rts)) {
        const { f: [wt, th, av, cam] } = rt.arena.take([c, c, hw * c, hw]);
        av.set(cs.activations.values);
        rt.kernels.fem_weights(wt, th, av, 1, hw, c, extra.k);
        const what = `${rt.flavor} ${cs.id}`;
        for (let q = 0; q < c; q++) {
          const want = extra.thresholds[q];
          expect(Math.abs(th[q] - want), `${what} th[${q}]`).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(want), 1e-30));
        }
        expect(Array.from(wt, (v) => Math.round(v * hw)), what).toEqual(extra.mask_counts);
        expect(relErr(wt, ref.weights!), what).toBeLessThanOrEqual(tol.golden_weights_rel);
        rt.kernels.channel_wsum(cam, av, wt, 1, hw, c, 0);
        expect(relErr(cam, ref.cam_lowres!.values), what).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
      }
    }
  });
});
