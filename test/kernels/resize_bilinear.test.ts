import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

describe('resize_bilinear', async () => {
  const rts = await allRuntimes();
  await tf.setBackend('cpu');
  const run = (x: ArrayLike<number>, n: number, ih: number, iw: number, oh: number, ow: number, ac: number) =>
    runFlavors(rts, [n * oh * ow, n * ih * iw, ih * ow], [null, x, null], (k, [o, v, t]) => k.resize_bilinear(o, v, t, n, ih, iw, oh, ow, ac));

  it('known answers: 1×2 → 1×4 with half-pixel centres and with aligned corners', () => {
    // Half-pixel: src = (j + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    for (const r of run([0, 4], 1, 1, 2, 1, 4, 0)) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 1, 3, 4]);
    // Aligned: src = j/3 → 0, 4/3, 8/3, 4.
    for (const r of run([0, 4], 1, 1, 2, 1, 4, 1)) {
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(5)), r.flavor).toEqual([0, 1.33333, 2.66667, 4]);
    }
    // Any size → 1×1 with aligned corners takes the top-left value.
    for (const r of run([7, 1, 2, 3], 1, 2, 2, 1, 1, 1)) expect(r.views[0][0]).toBe(7);
  });

  it('writes nothing past its n·oh·ow outputs or its ih·ow scratch, up and down, both modes', () => {
    for (const [ih, iw, oh, ow] of [[2, 3, 5, 4], [5, 4, 2, 3]]) {
      for (const ac of [0, 1]) {
        const x = rand(2 * ih * iw, 6);
        const rs = runFlavors(rts, [2 * oh * ow + 3, 2 * ih * iw, ih * ow + 2], [new Float32Array(2 * oh * ow + 3).fill(7), x, new Float32Array(ih * ow + 2).fill(7)], (k, [o, v, t]) =>
          k.resize_bilinear(o, v, t, 2, ih, iw, oh, ow, ac),
        );
        for (const r of rs) {
          expect(Array.from(r.views[0].subarray(2 * oh * ow)), `${r.flavor} ac${ac}`).toEqual([7, 7, 7]);
          expect(Array.from(r.views[2].subarray(ih * ow)), `${r.flavor} ac${ac}`).toEqual([7, 7]);
        }
      }
    }
  });

  it('same bits in every flavor; half-pixel mode equals tf.image.resizeBilinear(x, size, false, true) on cpu', () => {
    const before = tf.memory().numTensors;
    const outs = [...MAPS, [48, 64], [37, 29], [2, 3], [1, 9], [5, 1]] as const;
    for (const [ih, iw] of MAPS) {
      for (const [oh, ow] of outs) {
        for (const n of [1, 2]) {
          const x = rand(n * ih * iw, ih * 31 + iw + n);
          for (const ac of [0, 1]) {
            const rs = run(x, n, ih, iw, oh, ow, ac);
            for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${n}×${ih}×${iw}→${oh}×${ow} ac${ac}`).toBe(-1);
            const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(x, [n, ih, iw, 1]), [oh, ow], ac === 1, ac === 0).dataSync());
            expect(relErr(rs[0].views[0], ref), `${ih}×${iw}→${oh}×${ow} ac${ac}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          }
        }
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('property: a constant map stays exactly constant under both modes, up and down', () => {
    const dims = fc.record({ ih: fc.integer({ min: 1, max: 9 }), iw: fc.integer({ min: 1, max: 9 }), oh: fc.integer({ min: 1, max: 25 }), ow: fc.integer({ min: 1, max: 25 }), ac: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(dims, wildF32(3e38), ({ ih, iw, oh, ow, ac }, c) => {
        for (const r of run(new Float32Array(ih * iw).fill(c), 1, ih, iw, oh, ow, ac)) {
          // === on purpose: −0 + (−0 − −0)·f is +0, the one constant whose sign bit a lerp drops.
          expect(r.views[0].every((v) => v === Math.fround(c)), r.flavor).toBe(true);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('property: flavors agree bit for bit; output stays within the input range (up to rounding); matches tf within 1e-5', () => {
    const dims = fc.record({ ih: fc.integer({ min: 1, max: 8 }), iw: fc.integer({ min: 1, max: 8 }), oh: fc.integer({ min: 1, max: 20 }), ow: fc.integer({ min: 1, max: 20 }), ac: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(dims.chain((d) => fc.tuple(fc.constant(d), f32Array(d.ih * d.iw, wildF32(1e30)))), ([{ ih, iw, oh, ow, ac }, x]) => {
        const rs = run(x, 1, ih, iw, oh, ow, ac);
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
        let lo = Infinity, hi = -Infinity;
        for (const v of x) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const slack = 1e-6 * (hi - lo);
        expect(rs[2].views[0].every((v) => v >= lo - slack && v <= hi + slack)).toBe(true);
        const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(x, [1, ih, iw, 1]), [oh, ow], ac === 1, ac === 0).dataSync());
        const scale = Math.max(...Array.from(x, Math.abs));
        let d = 0;
        for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i] - rs[2].views[0][i]));
        expect(d).toBeLessThanOrEqual(tol.kernel_raw_rel * scale + 1e-43);
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});
