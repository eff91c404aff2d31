import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { fuzzRuns } from '../helpers/kernels.js';

describe('first_nonfinite', async () => {
  const rts = await allRuntimes();
  const run = (x: ArrayLike<number>, len = x.length) =>
    Object.values(rts).map((rt) => {
      const { f: [v] } = rt.arena.take([Math.max(x.length, 1)]);
      v.set(x);
      return rt.kernels.first_nonfinite(v, len);
    });

  it('known answers: NaN, +Inf, −Inf found at every position of 0–40 values, first one wins', () => {
    for (let len = 0; len <= 40; len++) {
      const x = rand(len, len + 1, -1e38, 1e38);
      expect(run(x), `clean ${len}`).toEqual([-1, -1, -1]);
      for (let at = 0; at < len; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const y = Float32Array.from(x);
          y[at] = bad;
          if (at + 3 < len) y[at + 3] = NaN; // a later hit must not win
          expect(run(y), `${bad} at ${at} of ${len}`).toEqual([at, at, at]);
        }
      }
    }
  });

  it('finite extremes are finite: ±max float, subnormals, ±0', () => {
    const x = new Float32Array([3.4028235e38, -3.4028235e38, 1e-45, -1e-45, 0, -0, 1.1754942e-38, 1, -1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run(x)).toEqual([-1, -1, -1]);
  });

  it('only looks at the first len values', () => {
    const x = new Float32Array(40);
    x[35] = NaN;
    expect(run(x, 35)).toEqual([-1, -1, -1]);
    expect(run(x, 36)).toEqual([35, 35, 35]);
  });

  it('property: every flavor returns the index a plain scan finds', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 30, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) }), { maxLength: 100 }), (a) => {
        const want = a.findIndex((v) => !Number.isFinite(v));
        expect(run(Float32Array.from(a))).toEqual([want, want, want]);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
