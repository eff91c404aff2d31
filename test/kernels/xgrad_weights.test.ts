import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

describe('xgrad_weights', async () => {
  const rts = await allRuntimes();

  it('known answer', () => {
    // hw = 2, c = 2: channel 0 Σga = 1·2 + 3·1 = 5, Σa = 3; channel 1 Σga = 2 − 6 = −4, Σa = 0 → −4/1e-7.
    const g = [1, 2, 3, 6], a = [2, 1, 1, -1];
    for (const r of runFlavors(rts, [2, 4, 4, 2], [null, g, a, null], (k, [o, gv, av, t]) => k.xgrad_weights(o, gv, av, t, 1, 2, 2))) {
      expect(r.views[0][0], r.flavor).toBeCloseTo(5 / (3 + 1e-7), 6);
      expect(r.views[0][1] / (-4 / 1e-7), r.flavor).toBeCloseTo(1, 6);
      expect(Array.from(r.views[3]), r.flavor).toEqual([3, 0]);
    }
  });

  it('writes nothing past its n·c weights or its c scratch values', () => {
    const g = rand(2 * 6 * 5, 3), a = rand(2 * 6 * 5, 4, 0, 1);
    const rs = runFlavors(rts, [2 * 5 + 3, 2 * 6 * 5, 2 * 6 * 5, 5 + 2], [new Float32Array(13).fill(7), g, a, new Float32Array(7).fill(7)], (k, [o, gv, av, t]) => k.xgrad_weights(o, gv, av, t, 2, 6, 5));
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
          const g = rand(len, c + 11), a = rand(len, c * 3 + hw, 0, 2);
          const rs = runFlavors(rts, [n * c, len, len, c], [null, g, a, null], (k, [o, gv, av, t]) => k.xgrad_weights(o, gv, av, t, n, hw, c));
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${n}×${h}×${w}×${c}`).toBe(-1);
          const ref = new Float64Array(n * c);
          for (let b = 0; b < n; b++) {
            for (let k = 0; k < c; k++) {
              let sga = 0, sa = 0;
              for (let p = 0; p < hw; p++) {
                sga += g[(b * hw + p) * c + k] * a[(b * hw + p) * c + k];
                sa += a[(b * hw + p) * c + k];
              }
              ref[b * c + k] = sga / (sa + 1e-7);
            }
          }
          expect(relErr(rs[2].views[0], ref)).toBeLessThanOrEqual(tol.kernel_raw_rel);
        }
      }
    }
  });

  it('property: bit-identical flavors for any values (denormals, ±0, huge, signed)', () => {
    const shape = fc.record({ n: fc.integer({ min: 1, max: 2 }), hw: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 0, max: 21 }) });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.hw * s.c, wildF32(1e30)), f32Array(s.n * s.hw * s.c, wildF32(1e30)))),
        ([{ n, hw, c }, g, a]) => {
          const rs = runFlavors(rts, [n * c, n * hw * c, n * hw * c, c], [null, g, a, null], (k, [o, gv, av, t]) => k.xgrad_weights(o, gv, av, t, n, hw, c));
          for (const r of rs.slice(0, 2)) {
            expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
            expect(firstBitDiff(r.views[3], rs[2].views[3]), r.flavor).toBe(-1);
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
