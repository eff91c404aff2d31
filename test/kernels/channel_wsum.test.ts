import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { boundedErr, f32Array, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

/** Σ_k |w[b][k]·a[b][p][k]| per output. */
function termBound(a: Float32Array, w: Float32Array, n: number, hw: number, c: number): Float64Array {
  const bound = new Float64Array(n * hw);
  for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) bound[b * hw + p] += Math.abs(w[b * c + k] * a[(b * hw + p) * c + k]);
  return bound;
}

describe('channel_wsum', async () => {
  const rts = await allRuntimes();

  it('known answer, with and without ReLU', () => {
    // hw = 3, c = 2; w = [2, -1]
    const a = [1, 1, 2, 5, 3, 0];
    for (const relu of [0, 1]) {
      for (const r of runFlavors(rts, [3, 6, 2], [null, a, [2, -1]], (k, [o, av, w]) => k.channel_wsum(o, av, w, 1, 3, 2, relu))) {
        expect(Array.from(r.views[0]), r.flavor).toEqual(relu ? [1, 0, 6] : [1, -1, 6]);
      }
    }
  });

  it('writes nothing past its n·hw outputs', () => {
    const a = rand(2 * 6 * 5, 3), w = rand(2 * 5, 4);
    for (const relu of [0, 1]) {
      for (const r of runFlavors(rts, [2 * 6 + 3, 2 * 6 * 5, 2 * 5], [new Float32Array(15).fill(7), a, w], (k, [o, av, wv]) => k.channel_wsum(o, av, wv, 2, 6, 5, relu))) {
        expect(Array.from(r.views[0].subarray(12)), r.flavor).toEqual([7, 7, 7]);
      }
    }
  });

  it('SIMD = scalar = twin over 0–33 channels, odd maps, n = 1 and 2', () => {
    for (const [h, w] of MAPS) {
      for (const n of [1, 2]) {
        for (let c = 0; c <= 33; c++) {
          const hw = h * w;
          const a = rand(n * hw * c, c * 31 + hw), wt = rand(n * c, c + 5);
          const rs = runFlavors(rts, [n * hw, n * hw * c, n * c], [null, a, wt], (k, [o, av, wv]) => k.channel_wsum(o, av, wv, n, hw, c, c & 1));
          // Scale: the largest output, or Σ|w·a| where a 1×1 map's single sum cancels.
          const bound = termBound(a, wt, n, hw, c);
          for (const r of rs.slice(0, 2)) {
            expect(Math.min(relErr(r.views[0], rs[2].views[0]), boundedErr(r.views[0], rs[2].views[0], bound)), `${r.flavor} ${n}×${h}×${w}×${c}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          }
          if (c === 0) expect(Array.from(rs[0].views[0]).every((v) => v === 0)).toBe(true);
        }
      }
    }
  });

  it('large channel counts (long SIMD runs, power-of-two row strides)', () => {
    for (const [hw, c] of [[49, 1280], [49, 2048], [9, 1029]] as const) {
      const a = rand(hw * c, c, 0, 2), wt = rand(c, c + 1);
      const rs = runFlavors(rts, [hw, hw * c, c], [null, a, wt], (k, [o, av, wv]) => k.channel_wsum(o, av, wv, 1, hw, c, 0));
      const bound = termBound(a, wt, 1, hw, c);
      for (const r of rs.slice(0, 2)) expect(boundedErr(r.views[0], rs[2].views[0], bound), `${r.flavor} ${hw}×${c}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
    }
  });

  it('property: wasm within 1e-5 of Σ|w·a| of the twin, for denormals, ±0, huge and tiny values', () => {
    const shape = fc.record({ n: fc.integer({ min: 1, max: 2 }), hw: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 0, max: 40 }), relu: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.hw * s.c), f32Array(s.n * s.c))),
        ([{ n, hw, c, relu }, a, w]) => {
          const rs = runFlavors(rts, [n * hw, n * hw * c, n * c], [null, a, w], (k, [o, av, wv]) => k.channel_wsum(o, av, wv, n, hw, c, relu));
          const bound = termBound(a, w, n, hw, c);
          for (const r of rs.slice(0, 2)) expect(boundedErr(r.views[0], rs[2].views[0], bound)).toBeLessThanOrEqual(1e-5);
          if (relu) for (const r of rs) expect(r.views[0].every((v) => v >= 0)).toBe(true);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('ReLU output is never −0 and keeps NaN', () => {
    // w·a = −0 and NaN rows
    const rs = runFlavors(rts, [2, 2, 1], [null, [-0, NaN], [1]], (k, [o, a, w]) => k.channel_wsum(o, a, w, 1, 2, 1, 1));
    for (const r of rs) {
      expect(Object.is(r.views[0][0], 0), r.flavor).toBe(true);
      expect(Number.isNaN(r.views[0][1]), r.flavor).toBe(true);
    }
  });

  it('values stay finite for inputs bounded so that Σ|w·a| < f32 max', () => {
    fc.assert(
      fc.property(f32Array(17, wildF32(1e18)), f32Array(17, wildF32(1e18)), (a, w) => {
        for (const r of runFlavors(rts, [1, 17, 17], [null, a, w], (k, [o, av, wv]) => k.channel_wsum(o, av, wv, 1, 1, 17, 0))) {
          expect(Number.isFinite(r.views[0][0])).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(30) },
    );
  });
});
