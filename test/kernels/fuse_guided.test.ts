import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, MAPS, runFlavors, wildF32 } from '../helpers/kernels.js';

describe('fuse_guided', async () => {
  const rts = await allRuntimes();

  it('known answer: every RGB triple scaled by its pixel of the map', () => {
    const gb = [1, 2, 3, -1, -2, -3], cam = [0.5, 2];
    for (const r of runFlavors(rts, [6, 6, 2], [null, gb, cam], (k, [o, g, m]) => k.fuse_guided(o, g, m, 1, 2))) {
      expect(Array.from(r.views[0]), r.flavor).toEqual([0.5, 1, 1.5, -2, -4, -6]);
    }
  });

  it('writes nothing past its n·hw·3 outputs', () => {
    const gb = rand(2 * 5 * 3, 9), cam = rand(2 * 5, 10, 0, 1);
    for (const r of runFlavors(rts, [2 * 5 * 3 + 6, 2 * 5 * 3, 2 * 5], [new Float32Array(36).fill(7), gb, cam], (k, [o, g, m]) => k.fuse_guided(o, g, m, 2, 5))) {
      expect(Array.from(r.views[0].subarray(30)), r.flavor).toEqual([7, 7, 7, 7, 7, 7]);
    }
  });

  it('same bits in every flavor over odd maps and pixel counts 0–33, n = 1 and 2', () => {
    const sizes = [...MAPS.map(([h, w]) => h * w), ...Array.from({ length: 34 }, (_, i) => i)];
    for (const hw of sizes) {
      for (const n of [1, 2]) {
        const gb = rand(n * hw * 3, hw + 1), cam = rand(n * hw, hw + 2, 0, 1);
        const rs = runFlavors(rts, [n * hw * 3, n * hw * 3, n * hw], [null, gb, cam], (k, [o, g, m]) => k.fuse_guided(o, g, m, n, hw));
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} ${n}×${hw}`).toBe(-1);
        for (let i = 0; i < n * hw * 3; i++) expect(rs[0].views[0][i]).toBe(Math.fround(gb[i] * cam[Math.floor(i / 3)]));
      }
    }
  });

  it('property: same bits in every flavor for any values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }).chain((hw) => fc.tuple(f32Array(hw * 3, wildF32(3e38)), f32Array(hw, wildF32(3e38)))),
        ([gb, cam]) => {
          const hw = cam.length;
          const rs = runFlavors(rts, [hw * 3, hw * 3, hw], [null, gb, cam], (k, [o, g, m]) => k.fuse_guided(o, g, m, 1, hw));
          for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });
});
