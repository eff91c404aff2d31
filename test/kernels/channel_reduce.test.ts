import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { boundedErr, f32Array, fuzzRuns, MAPS, runFlavors } from '../helpers/kernels.js';
import tol from '../tolerances.json';

const term = (mode: number, g: number, a: number) => (mode === 0 ? g * a : mode === 1 ? Math.max(g * a, 0) : Math.max(g, 0) * a);

/** Σ_k |term| per output: the scale of f32 summation error. */
function termBound(mode: number, g: Float32Array, a: Float32Array, rows: number, c: number): Float64Array {
  const bound = new Float64Array(rows);
  for (let i = 0; i < rows; i++) for (let k = 0; k < c; k++) bound[i] += Math.abs(term(mode, g[i * c + k], a[i * c + k]));
  return bound;
}

describe('channel_reduce', async () => {
  const rts = await allRuntimes();

  it('known answers for the three modes', () => {
    // hw = 2, c = 3
    const g = [1, -2, 3, -1, 0.5, 2];
    const a = [2, 1, -1, 4, 2, 0.5];
    const want = [
      [2 - 2 - 3, -4 + 1 + 1], // Σ g·a
      [2, 1 + 1], // Σ relu(g·a)
      [2 - 3, 1 + 1], // Σ relu(g)·a
    ];
    for (const mode of [0, 1, 2]) {
      for (const r of runFlavors(rts, [2, 6, 6], [null, g, a], (k, [o, gv, av]) => k.channel_reduce(o, gv, av, 1, 2, 3, mode))) {
        expect(Array.from(r.views[0]), `${r.flavor} mode ${mode}`).toEqual(want[mode]);
      }
    }
  });

  it('writes nothing past its n·hw outputs', () => {
    const g = rand(2 * 6 * 5, 3), a = rand(2 * 6 * 5, 4);
    for (const mode of [0, 1, 2]) {
      for (const r of runFlavors(rts, [2 * 6 + 3, 2 * 6 * 5, 2 * 6 * 5], [new Float32Array(15).fill(7), g, a], (k, [o, gv, av]) => k.channel_reduce(o, gv, av, 2, 6, 5, mode))) {
        expect(Array.from(r.views[0].subarray(12)), r.flavor).toEqual([7, 7, 7]);
      }
    }
  });

  it('SIMD = scalar = twin over 0–33 channels, odd maps, n = 1 and 2, every mode', () => {
    for (const mode of [0, 1, 2]) {
      for (const [h, w] of MAPS) {
        for (const n of [1, 2]) {
          for (let c = 0; c <= 33; c++) {
            const hw = h * w, len = n * hw * c;
            const g = rand(len, c * 7 + mode), a = rand(len, c * 13 + hw, -0.5, 1.5);
            const rs = runFlavors(rts, [n * hw, len, len], [null, g, a], (k, [o, gv, av]) => k.channel_reduce(o, gv, av, n, hw, c, mode));
            const bound = termBound(mode, g, a, n * hw, c);
            for (const r of rs.slice(0, 2)) {
              const e = Math.min(relErr(r.views[0], rs[2].views[0]), boundedErr(r.views[0], rs[2].views[0], bound));
              expect(e, `${r.flavor} mode ${mode} ${n}×${h}×${w}×${c}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
            }
          }
        }
      }
    }
  });

  it('property: wasm within 1e-5 of Σ|term| of the twin, for denormals, ±0, huge and tiny values', () => {
    const shape = fc.record({ rows: fc.integer({ min: 1, max: 12 }), c: fc.integer({ min: 0, max: 40 }), mode: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.rows * s.c), f32Array(s.rows * s.c))),
        ([{ rows, c, mode }, g, a]) => {
          const rs = runFlavors(rts, [rows, rows * c, rows * c], [null, g, a], (k, [o, gv, av]) => k.channel_reduce(o, gv, av, 1, rows, c, mode));
          const bound = termBound(mode, g, a, rows, c);
          for (const r of rs.slice(0, 2)) expect(boundedErr(r.views[0], rs[2].views[0], bound)).toBeLessThanOrEqual(1e-5);
          if (mode === 1) for (const r of rs) expect(r.views[0].every((v) => v >= 0)).toBe(true);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('modes agree where they must: all-positive g makes Layer-CAM = HiResCAM; all-positive g·a makes ElementWise = HiResCAM', () => {
    const g = rand(5 * 9, 3, 0.1, 1), a = rand(5 * 9, 4, -1, 1);
    const out = (mode: number, gg: Float32Array) => runFlavors(rts, [5, 45, 45], [null, gg, a], (k, [o, gv, av]) => k.channel_reduce(o, gv, av, 1, 5, 9, mode))[0].views[0];
    expect(relErr(out(2, g), out(0, g))).toBeLessThanOrEqual(tol.kernel_raw_rel);
    const gs = g.map((v, i) => (a[i] < 0 ? -v : v));
    expect(relErr(out(1, gs), out(0, gs))).toBeLessThanOrEqual(tol.kernel_raw_rel);
  });
});
