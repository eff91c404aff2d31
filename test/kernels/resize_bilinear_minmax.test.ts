import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';
import tol from '../tolerances.json';

describe('resize_bilinear_minmax', async () => {
  const rts = await allRuntimes();
  const fused = (x: ArrayLike<number>, n: number, ih: number, iw: number, oh: number, ow: number, ac: number, eps = 1e-7) =>
    runFlavors(rts, [n * oh * ow, n * ih * iw, 2 * (ih + 1) * ow + 2 * oh], [null, x, null], (k, [o, v, t]) => k.resize_bilinear_minmax(o, v, t, n, ih, iw, oh, ow, ac, eps));
  // The unfused chain it replaces: resize_bilinear, then minmax_normalize over each resized map.
  const chain = (x: ArrayLike<number>, n: number, ih: number, iw: number, oh: number, ow: number, ac: number, eps = 1e-7) =>
    runFlavors(rts, [n * oh * ow, n * ih * iw, ih * ow], [null, x, null], (k, [o, v, t]) => {
      k.resize_bilinear(o, v, t, n, ih, iw, oh, ow, ac);
      k.minmax_normalize(o, n, oh * ow, eps);
    });

  it('same bits in every flavor, and within 1e-6 of resize_bilinear → minmax_normalize, up and down, both modes', () => {
    const outs = [...MAPS, [224, 224], [37, 29], [2, 3], [1, 9], [5, 1], [16, 17]] as const;
    for (const [ih, iw] of [...MAPS, [14, 14], [2, 1]] as const) {
      for (const [oh, ow] of outs) {
        for (const n of [1, 2]) {
          const x = rand(n * ih * iw, ih * 31 + iw + n, -2, 3);
          for (const ac of [0, 1]) {
            const tag = `${n}×${ih}×${iw}→${oh}×${ow} ac${ac}`;
            const rs = fused(x, n, ih, iw, oh, ow, ac);
            for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${tag}`).toBe(-1);
            const ref = chain(x, n, ih, iw, oh, ow, ac)[2].views[0];
            const got = rs[0].views[0];
            let err = 0;
            for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
            expect(err, tag).toBeLessThanOrEqual(1e-6);
            // Per map: the minimum is exactly 0 and the maximum below 1, as after minmax_normalize.
            for (let b = 0; b < n; b++) {
              const m = got.subarray(b * oh * ow, (b + 1) * oh * ow);
              if (ih * iw > 1 && oh * ow > 1 && Math.min(...ref.subarray(b * oh * ow, (b + 1) * oh * ow)) !== Math.max(...ref.subarray(b * oh * ow, (b + 1) * oh * ow))) {
                expect(Math.min(...m), tag).toBe(0);
              }
              expect(Math.max(...m), tag).toBeLessThanOrEqual(1);
            }
          }
        }
      }
    }
  });

  it('writes nothing past its n·oh·ow outputs, up and down, both modes', () => {
    for (const [ih, iw, oh, ow] of [[2, 3, 5, 4], [5, 4, 2, 3]]) {
      for (const ac of [0, 1]) {
        const x = rand(2 * ih * iw, 6);
        const rs = runFlavors(rts, [2 * oh * ow + 3, 2 * ih * iw, 2 * (ih + 1) * ow + 2 * oh], [new Float32Array(2 * oh * ow + 3).fill(7), x, null], (k, [o, v, t]) =>
          k.resize_bilinear_minmax(o, v, t, 2, ih, iw, oh, ow, ac, 1e-7),
        );
        for (const r of rs) {
          expect(Array.from(r.views[0].subarray(2 * oh * ow)), `${r.flavor} ac${ac}`).toEqual([7, 7, 7]);
          expect(r.views[0].subarray(0, 2 * oh * ow).every((v) => v >= 0 && v <= 1), `${r.flavor} ac${ac}`).toBe(true);
        }
      }
    }
  });

  it('a −0 minimum: the same signed zeros in every flavor, as minmax_normalize gives them', () => {
    // 3×3 → 2×2 with aligned corners samples rows and columns 0 and 2 at f = 0, so the lerps keep the
    // corner's −0 (−0 + (−5)·0 = −0) and the map is [−0, 3, 3, 3]. lo = min(…) = −0; the kernels add +0
    // to it (as minmax_normalize), so v − lo keeps v's sign.
    const x = [-0, -5, 3, -5, -5, -5, 3, 3, 3];
    const rs = fused(x, 1, 3, 3, 2, 2, 1);
    const ref = chain(x, 1, 3, 3, 2, 2, 1)[2].views[0];
    expect(Object.is(ref[0], -0) && ref[3] > 0.99).toBe(true);
    for (const r of rs) expect(firstBitDiff(r.views[0], ref), r.flavor).toBe(-1);
  });

  it('the extremes come from segment boundary rows: a peak anywhere is found (lo and hi equal the full scan)', () => {
    // One hot pixel at every position of a 5×6 map, upsampled by awkward factors: the twin scans every
    // output row, the wasm kernels only each segment's first and last; equal bits mean equal lo and hi.
    for (const [oh, ow] of [[23, 31], [64, 64], [5, 6], [3, 4]] as const) {
      for (let p = 0; p < 30; p++) {
        const x = new Float32Array(30).fill(0.25);
        x[p] = p % 2 ? 7 : -7;
        for (const ac of [0, 1]) {
          const rs = fused(x, 1, 5, 6, oh, ow, ac);
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} p${p} ${oh}×${ow} ac${ac}`).toBe(-1);
        }
      }
    }
  });

  it('constant maps give zeros (also eps = 0); a NaN makes its map NaN and leaves the others alone', () => {
    for (const eps of [1e-7, 0]) {
      for (const c of [0, 3.5, -1e30]) {
        for (const r of fused(new Float32Array(12).fill(c), 1, 3, 4, 9, 7, 0, eps)) {
          expect(r.views[0].every((v) => v === 0), `${r.flavor} ${c} eps ${eps}`).toBe(true);
        }
      }
    }
    const x = rand(2 * 12, 5);
    x[7] = NaN;
    for (const r of fused(x, 2, 3, 4, 9, 7, 0)) {
      expect(Array.from(r.views[0].subarray(0, 63)).every(Number.isNaN), r.flavor).toBe(true);
      expect(Array.from(r.views[0].subarray(63)).every((v) => v >= 0 && v < 1), r.flavor).toBe(true);
    }
  });

  it('property: flavors agree bit for bit on wild values; finite results stay in [0, 1]', () => {
    const dims = fc.record({ ih: fc.integer({ min: 1, max: 8 }), iw: fc.integer({ min: 1, max: 8 }), oh: fc.integer({ min: 1, max: 40 }), ow: fc.integer({ min: 1, max: 40 }), ac: fc.integer({ min: 0, max: 1 }) });
    fc.assert(
      fc.property(dims.chain((d) => fc.tuple(fc.constant(d), f32Array(d.ih * d.iw, wildF32(1e30)))), ([{ ih, iw, oh, ow, ac }, x]) => {
        const rs = fused(x, 1, ih, iw, oh, ow, ac);
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
        expect(rs[2].views[0].every((v) => v >= 0 && v <= 1)).toBe(true);
        const ref = chain(x, 1, ih, iw, oh, ow, ac)[2].views[0];
        let err = 0;
        for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(rs[2].views[0][i] - ref[i]));
        expect(err).toBeLessThanOrEqual(tol.kernel_normalised_abs);
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});
