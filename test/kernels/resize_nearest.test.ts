import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors } from '../helpers/kernels.js';

describe('resize_nearest', async () => {
  const rts = await allRuntimes();
  const run = (x: ArrayLike<number>, n: number, ih: number, iw: number, oh: number, ow: number) =>
    runFlavors(rts, [n * oh * ow, n * ih * iw], [null, x], (k, [o, v]) => k.resize_nearest(o, v, n, ih, iw, oh, ow));

  it('known answers: 2×2 → 3×4 (PyTorch floor(i·in/out)) and 1×4 → 1×2', () => {
    for (const r of run([1, 2, 3, 4], 1, 2, 2, 3, 4)) expect(Array.from(r.views[0]), r.flavor).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4]);
    for (const r of run([1, 2, 3, 4], 1, 1, 4, 1, 2)) expect(Array.from(r.views[0]), r.flavor).toEqual([1, 3]);
  });

  it('writes nothing past its n·oh·ow outputs (up and down)', () => {
    for (const [ih, iw, oh, ow] of [[2, 3, 5, 4], [5, 4, 2, 3]]) {
      const x = rand(2 * ih * iw, 4);
      const rs = runFlavors(rts, [2 * oh * ow + 5, 2 * ih * iw], [new Float32Array(2 * oh * ow + 5).fill(7), x], (k, [o, v]) => k.resize_nearest(o, v, 2, ih, iw, oh, ow));
      for (const r of rs) expect(Array.from(r.views[0].subarray(2 * oh * ow)), r.flavor).toEqual([7, 7, 7, 7, 7]);
    }
  });

  it('same bits in every flavor and equal to the integer formula, up and down, odd maps, n = 1 and 2', () => {
    for (const [ih, iw] of MAPS) {
      for (const [oh, ow] of [...MAPS, [48, 64], [2, 3], [23, 1]] as const) {
        for (const n of [1, 2]) {
          const x = rand(n * ih * iw, ih * 100 + iw);
          const rs = run(x, n, ih, iw, oh, ow);
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${ih}×${iw}→${oh}×${ow}`).toBe(-1);
          for (let b = 0; b < n; b++)
            for (let i = 0; i < oh; i++)
              for (let j = 0; j < ow; j++) {
                const sy = Math.min(Math.floor((i * ih) / oh), ih - 1), sx = Math.min(Math.floor((j * iw) / ow), iw - 1);
                expect(rs[0].views[0][(b * oh + i) * ow + j]).toBe(x[(b * ih + sy) * iw + sx]);
              }
        }
      }
    }
  });

  it('property: same size is the identity; a constant map stays constant; flavors agree', () => {
    const dims = fc.record({ ih: fc.integer({ min: 1, max: 9 }), iw: fc.integer({ min: 1, max: 9 }), oh: fc.integer({ min: 1, max: 20 }), ow: fc.integer({ min: 1, max: 20 }) });
    fc.assert(
      fc.property(dims.chain((d) => fc.tuple(fc.constant(d), f32Array(d.ih * d.iw), fc.float({ noNaN: true }))), ([{ ih, iw, oh, ow }, x, c]) => {
        const same = run(x, 1, ih, iw, ih, iw);
        for (const r of same) expect(firstBitDiff(r.views[0], x), r.flavor).toBe(-1);
        const rs = run(x, 1, ih, iw, oh, ow);
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
        const k = run(new Float32Array(ih * iw).fill(c), 1, ih, iw, oh, ow);
        for (const r of k) expect(r.views[0].every((v) => Object.is(v, Math.fround(c))), r.flavor).toBe(true);
      }),
      { numRuns: fuzzRuns() },
    );
  });
});
