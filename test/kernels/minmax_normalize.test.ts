import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, absErr } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

describe('minmax_normalize', async () => {
  const rts = await allRuntimes();
  const norm = (x: ArrayLike<number>, n: number, len: number, eps = 1e-7) =>
    runFlavors(rts, [n * len], [x], (k, [v]) => k.minmax_normalize(v, n, len, eps));

  it('known answer: per map, x − min divided by eps + max (a division, not a reciprocal)', () => {
    for (const r of norm([2, 4, 6, -1, -1, 1], 2, 3)) {
      const d = Math.fround(1e-7 + 4);
      const e = Math.fround(1e-7 + 2);
      expect(Array.from(r.views[0]), r.flavor).toEqual([0, Math.fround(2 / d), Math.fround(4 / d), 0, 0, Math.fround(2 / e)]);
    }
  });

  it('a −0 minimum counts as +0: a −0 value stays −0, a +0 value +0, in every flavor', () => {
    for (const x of [[-0, 1, 0.5], [1, -0, 0.5], [0, 1, -0]]) {
      for (const r of runFlavors(rts, [3], [x], (k, [v]) => k.minmax_normalize(v, 1, 3, 1e-7))) {
        for (let i = 0; i < 3; i++) if (x[i] === 0) expect(Object.is(r.views[0][i], x[i]), `${r.flavor} ${x}`).toBe(true);
      }
    }
  });

  it('touches nothing past its n·len values', () => {
    const x = Float32Array.from([...rand(2 * 7, 5), 7, 7, 7]);
    for (const r of runFlavors(rts, [2 * 7 + 3], [x], (k, [v]) => k.minmax_normalize(v, 2, 7, 1e-7))) {
      expect(Array.from(r.views[0].subarray(14)), r.flavor).toEqual([7, 7, 7]);
    }
  });

  it('all-zero and constant maps become all zero, never NaN, also with eps = 0', () => {
    for (const eps of [1e-7, 0]) {
      for (const x of [new Float32Array(13), new Float32Array(13).fill(3.5), new Float32Array(13).fill(-1e30)]) {
        for (const r of norm(x, 1, 13, eps)) expect(Array.from(r.views[0]).every((v) => v === 0), `${r.flavor} eps ${eps}`).toBe(true);
      }
    }
  });

  it('a NaN makes its map NaN in every flavor and leaves the other maps alone', () => {
    const x = rand(2 * 9, 4);
    x[3] = NaN;
    const rs = norm(x, 2, 9);
    for (const r of rs) {
      expect(Array.from(r.views[0].subarray(0, 9)).every(Number.isNaN), r.flavor).toBe(true);
      expect(Array.from(r.views[0].subarray(9)).every((v) => v >= 0 && v < 1), r.flavor).toBe(true);
    }
  });

  it('wasm and twin agree bit for bit on maps of 0–33 values, n = 1 and 2; matches a float64 reference', () => {
    for (let len = 0; len <= 33; len++) {
      for (const n of [1, 2]) {
        const x = rand(n * len, len * 3 + n, -3, 5);
        const rs = norm(x, n, len);
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${n}×${len}`).toBe(-1);
        const ref: number[] = [];
        for (let b = 0; b < n; b++) {
          const m = Array.from(x.subarray(b * len, (b + 1) * len));
          const lo = Math.min(...m), hi = Math.max(...m);
          ref.push(...m.map((v) => (v - lo) / (1e-7 + hi - lo)));
        }
        expect(absErr(rs[2].views[0], ref)).toBeLessThanOrEqual(tol.kernel_normalised_abs);
      }
    }
  });

  it('property: same bits everywhere; finite maps land in [0, 1) with the minimum at 0', () => {
    fc.assert(
      fc.property(
        fc.record({ n: fc.integer({ min: 1, max: 3 }), len: fc.integer({ min: 1, max: 40 }) }).chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.len, wildF32(1e37)))),
        ([{ n, len }, x]) => {
          const rs = norm(x, n, len);
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
          const y = rs[2].views[0];
          for (let b = 0; b < n; b++) {
            const m = Array.from(y.subarray(b * len, (b + 1) * len));
            expect(m.every((v) => v >= 0 && v <= 1)).toBe(true);
            expect(Math.min(...m) === 0).toBe(true); // −0 included: a −0 input minus a +0 minimum stays −0
          }
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
